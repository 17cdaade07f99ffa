/// The number type of a layer's weights and activations.
public enum NumberType: Sendable {
    /// IEEE 754 single precision.
    case float32
}
