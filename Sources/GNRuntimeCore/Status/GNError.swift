/// A failure: a status, a static message, and where it applies.
///
/// Static strings and integers only, so that raising one never allocates (the core builds with
/// Embedded Swift's `-no-allocations`). The host layer formats it into a message for C callers.
public struct GNError: Error, Sendable {
    /// What kind of failure this is.
    public let status: GNStatus
    /// What was wrong, in a few words.
    public let message: StaticString
    /// The index of the layer the failure is about, or -1.
    public let layer: Int
    /// The value that was expected (for size and range errors), or -1 when there is none.
    public let expected: Int
    /// The value that was found, or -1 when there is none.
    public let actual: Int

    /// Makes an error; `layer`, `expected` and `actual` default to "none" (-1).
    public init(_ status: GNStatus, _ message: StaticString, layer: Int = -1, expected: Int = -1, actual: Int = -1) {
        self.status = status
        self.message = message
        self.layer = layer
        self.expected = expected
        self.actual = actual
    }
}
