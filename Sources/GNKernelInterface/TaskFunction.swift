/// Runs tasks `begin ..< end` of a job on worker `worker` (0 is the thread that dispatched the job).
/// Every kernel has this form, its job being a `KernelArguments`; so do the jobs a thread pool runs.
/// A C function pointer, so that calling one allocates nothing and workers can be C threads.
public typealias TaskFunction = @convention(c) (
    _ job: UnsafeRawPointer, _ worker: Int, _ begin: Int, _ end: Int
) -> Void

/// Writes a layer's weights in a kernel's own order (`KernelChoice.packWeights`): the job is the
/// layer's `KernelArguments`, the destination its `packedWeightBytes` bytes, 64-byte aligned.
public typealias PackFunction = @convention(c) (_ job: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer) -> Void
