/// How a kernel divides one call into tasks that threads may run in any order, each task exactly
/// once: `blocks` independent blocks (a convolution's blocks of output channels), each over the same
/// run of work items (output pixels, elements, rows), `itemsPerSample` of them per sample and
/// `itemsPerTask` per task. Tasks are numbered block-major, so that a range of tasks reuses one
/// block's weights. The number of samples is known only when a run starts (an exit rule stops
/// samples), so the split is a rule, not a count.
public struct TaskSplit: Sendable {
    /// Independent blocks, each split alike.
    public let blocks: Int
    /// Work items of one sample.
    public var itemsPerSample: Int
    /// Work items of one task (the last task of a block may have fewer).
    public let itemsPerTask: Int

    /// A split into `blocks` blocks of `itemsPerSample` items per sample, `itemsPerTask` per task.
    @inlinable
    public init(blocks: Int = 1, itemsPerSample: Int, itemsPerTask: Int) {
        self.blocks = blocks
        self.itemsPerSample = itemsPerSample
        self.itemsPerTask = max(1, itemsPerTask)
    }

    /// The tasks of one block over `samples` samples.
    @inlinable
    public func tasksPerBlock(samples: Int) -> Int {
        let items = samples * itemsPerSample
        return items == 0 ? 0 : (items - 1) / itemsPerTask + 1
    }

    /// The tasks of a call over `samples` samples.
    @inlinable
    public func tasks(samples: Int) -> Int {
        blocks * tasksPerBlock(samples: samples)
    }

    /// The block and the items (numbered over all samples) of task `task`.
    @inlinable @inline(__always)
    public func work(task: Int, samples: Int) -> (block: Int, items: Range<Int>) {
        let perBlock = tasksPerBlock(samples: samples)
        let first = (task % perBlock) * itemsPerTask
        return (task / perBlock, first..<min(samples * itemsPerSample, first + itemsPerTask))
    }
}
