/// A function a session calls right after each layer runs: `(context, layer, step, output, count)`,
/// with the layer's output for every sample of the run, channels-last (`[sample][h][w][c]`); nil and 0
/// for an output a lean session does not hold as floats (a convolution in bands, a spike map kept as
/// bytes). With `Session.observesInput`, also before layer 0, with layer `LayerObserver.inputLayer` and
/// the run's input. The pointer is valid only during the call. A C function pointer, so that observing
/// allocates nothing.
public typealias LayerObserverFunction = @convention(c) (
    _ context: UnsafeMutableRawPointer?, _ layer: Int, _ step: Int, _ output: UnsafePointer<Float>?, _ count: Int
) -> Void

/// An observer of a session's layers: a function and the context it is called with.
public struct LayerObserver {
    /// The layer index of the run's input (`Session.observesInput`): C's `GN_OBSERVED_INPUT`, SIZE_MAX.
    public static let inputLayer = -1

    /// Called after each layer, with `context`.
    public var function: LayerObserverFunction
    /// Passed to `function` unchanged; the caller keeps it alive.
    public var context: UnsafeMutableRawPointer?

    /// An observer calling `function` with `context`.
    public init(function: LayerObserverFunction, context: UnsafeMutableRawPointer?) {
        self.function = function
        self.context = context
    }
}
