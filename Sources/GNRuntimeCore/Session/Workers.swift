import GNKernelInterface

/// Threads a session may spread a layer's work over. The core has no threads of its own: a host
/// provides these (GNRuntime's C API starts a persistent pool per session when asked for threads > 1).
public struct Workers {
    /// Threads that run tasks, the dispatching thread included (≥ 1).
    public var count: Int
    /// Runs tasks `0 ..< tasks` of `job` with `function`, each task exactly once, on up to `count`
    /// threads, and returns when all are done. Allocates nothing.
    public var dispatch: @convention(c) (
        _ context: UnsafeMutableRawPointer?, _ job: UnsafeRawPointer, _ function: TaskFunction, _ tasks: Int
    ) -> Void
    /// Passed to `dispatch` unchanged.
    public var context: UnsafeMutableRawPointer?

    /// Workers that dispatch through `dispatch` with `context`.
    public init(count: Int, context: UnsafeMutableRawPointer?,
                dispatch: @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer, TaskFunction, Int) -> Void) {
        self.count = count
        self.context = context
        self.dispatch = dispatch
    }
}
