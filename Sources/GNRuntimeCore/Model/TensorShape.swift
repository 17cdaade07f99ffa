/// The shape of one sample's tensor: `channels × height × width` (stored channels-last).
public struct TensorShape: Equatable, Sendable {
    /// Number of channels (or features, for a vector).
    public let channels: Int
    /// Height in elements; 1 for a vector.
    public let height: Int
    /// Width in elements; 1 for a vector.
    public let width: Int

    /// Makes a shape.
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// `channels · height · width`. Only called on validated shapes, whose product fits.
    public var elementCount: Int { channels * height * width }

    /// The largest dimension a model may declare.
    static let maxDimension = 1 << 24

    /// The largest element count of one sample's tensor: the byte size of a whole batch is then
    /// checked separately, but one tensor's byte count always fits in `Int`, even on 32-bit targets.
    static let maxElements = Int.max / 64

    /// Whether every dimension is in `1 ... maxDimension` and the element count is at most `maxElements`.
    package var isValid: Bool {
        guard (1...TensorShape.maxDimension).contains(channels),
              (1...TensorShape.maxDimension).contains(height),
              (1...TensorShape.maxDimension).contains(width) else { return false }
        let (hw, o1) = height.multipliedReportingOverflow(by: width)
        let (all, o2) = hw.multipliedReportingOverflow(by: channels)
        return !o1 && !o2 && all <= TensorShape.maxElements
    }
}
