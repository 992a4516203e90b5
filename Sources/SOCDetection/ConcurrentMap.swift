import Foundation

/// `body(index)` for every index below `count`, run on every core, the results in index order.
///
/// Each iteration writes only its own slot of the result buffer, so no lock is needed. Iterations start in the order
/// `order` gives (all indices, once each) when there is one: listing the longest work first keeps the cores busy to
/// the end.
func concurrentMap<T>(_ count: Int, order: [Int]? = nil, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer { slots.deinitialize().deallocate() }
    let output = ResultSlots(buffer: slots)
    DispatchQueue.concurrentPerform(iterations: count) { iteration in
        let index = order?[iteration] ?? iteration
        output.buffer[index] = body(index)  // each slot is written once
    }
    return slots.map { $0! }
}

/// The result buffer shared by the iterations; they write disjoint elements.
private struct ResultSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>
}
