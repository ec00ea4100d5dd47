/// Deadlines of the shell's timers, earliest first (a binary heap).
/// Times are monotonic milliseconds.
struct TimerQueue {
    private var heap: [(deadline: UInt64, id: UInt64)] = []

    var earliest: UInt64? { heap.first?.deadline }
    var isEmpty: Bool { heap.isEmpty }

    mutating func insert(deadline: UInt64, id: UInt64) {
        heap.append((deadline, id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the ids of every timer due at `now`.
    mutating func popDue(now: UInt64) -> [UInt64] {
        var due: [UInt64] = []
        while let first = heap.first, first.deadline <= now {
            due.append(first.id)
            heap.swapAt(0, heap.count - 1)
            heap.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return due
    }
}
