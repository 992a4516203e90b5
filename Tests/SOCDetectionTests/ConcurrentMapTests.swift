import Synchronization
import Testing

@testable import SOCDetection

@Suite struct ConcurrentMapTests {
    /// Workers claiming indices one at a time: every index once, results in index order, one state per worker.
    @Test(arguments: [(0, 2), (1, 2), (7, 1), (1_000, 2), (1_000, 3), (5, 8)])
    func everyIndexOnceInOrder(count: Int, workers: Int) {
        let started = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let handled = Atomic<Int>(0)
        let results = concurrentMap(count, workers: workers) {
            started.add(1, ordering: .relaxed).oldValue
        } _: { index, worker in
            handled.add(1, ordering: .relaxed)
            return (index * index, worker)
        } finish: { _ in
            finished.add(1, ordering: .relaxed)
        }
        #expect(results.map(\.0) == (0..<count).map { $0 * $0 })
        #expect(handled.load(ordering: .relaxed) == count)
        let states = started.load(ordering: .relaxed)
        #expect(states >= 1 && states <= max(1, min(workers, count)))
        #expect(finished.load(ordering: .relaxed) == states)
        #expect(Set(results.map(\.1)).isSubset(of: Set(0..<states)))
    }
}

extension ConcurrentMapTests {
    /// With an order, indices are claimed in it (one worker: exactly in it), and results are still by index.
    @Test func anOrderIsClaimedAsGiven() {
        let claims = Mutex<[Int]>([])
        let order = [3, 0, 4, 1, 2]
        let results = concurrentMap(5, workers: 1, order: order) {
        } _: { index, _ in
            claims.withLock { $0.append(index) }
            return index * 10
        } finish: { _ in
        }
        #expect(results == [0, 10, 20, 30, 40])
        #expect(claims.withLock { $0 } == order)
        #expect(concurrentMap(5, order: order) { $0 + 1 } == [1, 2, 3, 4, 5])
    }
}
