import Foundation
import Synchronization

/// `body(index)` for every index below `count`, run on every core, the results in index order.
///
/// Iterations start in the order `order` gives (all indices, once each) when there is one: listing the longest work
/// first keeps the cores busy to the end.
func concurrentMap<T>(_ count: Int, order: [Int]? = nil, _ body: @Sendable (Int) -> T) -> [T] {
    concurrentMap(count, workers: ProcessInfo.processInfo.activeProcessorCount, order: order) {
    } _: { index, _ in
        body(index)
    } finish: { _ in
    }
}

/// `body(index, state)` for every index below `count`, on `workers` threads that claim the next index one at a time
/// (so a thread slowed by other work on its core takes fewer), the results in index order. Each thread has its own
/// `state`, made by `start` before its first index and handed to `finish` after its last. Indices are claimed in the
/// order `order` gives, when there is one.
///
/// Each index writes only its own slot of the result buffer, so no lock is needed.
func concurrentMap<T, State: Sendable>(
    _ count: Int,
    workers: Int,
    order: [Int]? = nil,
    start: @Sendable () -> State,
    _ body: @Sendable (Int, State) -> T,
    finish: @Sendable (State) -> Void
) -> [T] {
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer { slots.deinitialize().deallocate() }
    let output = ResultSlots(buffer: slots)
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: max(1, min(workers, count))) { _ in
        let state = start()
        while case let claimed = next.add(1, ordering: .relaxed).oldValue, claimed < count {
            let index = order?[claimed] ?? claimed
            output.buffer[index] = body(index, state)  // each slot is written once
        }
        finish(state)
    }
    return slots.map { $0! }
}

/// The result buffer shared by the iterations; they write disjoint elements.
private struct ResultSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>
}
