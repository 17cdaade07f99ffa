/// How a kernel divides one call into tasks that threads may run in any order, each task exactly
/// once: `blocks` independent blocks (a convolution's blocks of output channels), each over the same
/// run of work items (output pixels, elements, rows), `itemsPerSample` of them per sample and
/// `itemsPerTask` per task. Tasks are numbered block-major, so that a range of tasks reuses one
/// block's weights; or, with `interleavesBlocks`, item-major, so that a range of tasks writes whole
/// outputs (every block of the same items in turn), for kernels whose weights are few: a thread pool's
/// contiguous share of the tasks is then the same samples in every layer (docs/architecture.md,
/// "Threads"). The number of samples is known only when a run starts (an exit rule stops samples), so
/// the split is a rule, not a count.
public struct TaskSplit: Sendable {
    /// Independent blocks, each split alike.
    public let blocks: Int
    /// Work items of one sample.
    public var itemsPerSample: Int
    /// Work items of one task (the last task of a block may have fewer).
    public let itemsPerTask: Int
    /// Whether tasks are numbered item-major (task `t` takes block `t % blocks`) rather than block-major.
    public let interleavesBlocks: Bool

    /// A split into `blocks` blocks of `itemsPerSample` items per sample, `itemsPerTask` per task,
    /// numbered block-major, or item-major when `interleavesBlocks`.
    @inlinable
    public init(blocks: Int = 1, itemsPerSample: Int, itemsPerTask: Int, interleavesBlocks: Bool = false) {
        self.blocks = blocks
        self.itemsPerSample = itemsPerSample
        self.itemsPerTask = max(1, itemsPerTask)
        self.interleavesBlocks = interleavesBlocks
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

    // Every kernel's task loop calls this: inlined on hosts; one copy on microcontrollers, where each
    // kernel's inlined copy took about 50 bytes (a KiB over all of them).
    /// The block and the items (numbered over all samples) of task `task`.
    #if hasFeature(Embedded)
    @inline(never)
    #else
    @inlinable @inline(__always)
    #endif
    public func work(task: Int, samples: Int) -> (block: Int, items: Range<Int>) {
        let block: Int, run: Int
        if interleavesBlocks {
            (block, run) = (task % blocks, task / blocks)
        } else {
            let perBlock = tasksPerBlock(samples: samples)
            (block, run) = (task / perBlock, task % perBlock)
        }
        let first = run * itemsPerTask
        return (block, first..<min(samples * itemsPerSample, first + itemsPerTask))
    }
}
