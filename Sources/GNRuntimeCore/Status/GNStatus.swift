/// The outcome of a runtime call. The raw values are the C ABI's `gn_status` values and never change.
public enum GNStatus: Int32, Sendable {
    /// The call succeeded.
    case ok = 0
    /// A required pointer was null.
    case nullPointer = 1
    /// A session option is out of range (T = 0, τ = 0 or τ > 64, batch = 0, T × batch too large, …).
    case invalidOption = 2
    /// A buffer's element count does not match the model's shape, or a batch is out of range.
    case sizeMismatch = 3
    /// The input holds NaN or infinity.
    case invalidInput = 4
    /// The model bytes are malformed, truncated, inconsistent or fail the checksum.
    case badModel = 5
    /// Valid, but not supported here: a newer format version, or an op the neuron kind cannot run.
    case unsupported = 6
    /// The arena handed to a session is smaller than the session needs.
    case arenaTooSmall = 7
    /// The arena (or borrowed model bytes) are not aligned to 64 bytes.
    case misaligned = 8
    /// The heap could not provide the memory asked for.
    case outOfMemory = 9
    /// A file could not be opened or read.
    case ioError = 10
    /// The index of a layer (or other item) is past the end.
    case outOfRange = 11
    /// The session has not run yet, so there is nothing to read.
    case noResult = 12
    /// The call does not fit what the session is doing: a step without a stream begun, a stream on a
    /// layer-by-layer session.
    case invalidState = 13

    /// A short, static description of the status.
    public var description: StaticString {
        switch self {
        case .ok: return "ok"
        case .nullPointer: return "null pointer"
        case .invalidOption: return "invalid option"
        case .sizeMismatch: return "size mismatch"
        case .invalidInput: return "invalid input"
        case .badModel: return "bad model"
        case .unsupported: return "unsupported"
        case .arenaTooSmall: return "arena too small"
        case .misaligned: return "misaligned memory"
        case .outOfMemory: return "out of memory"
        case .ioError: return "i/o error"
        case .outOfRange: return "index out of range"
        case .noResult: return "no result yet"
        case .invalidState: return "invalid state"
        }
    }
}
