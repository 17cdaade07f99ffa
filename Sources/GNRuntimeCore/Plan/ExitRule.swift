/// When a run stops computing a sample before T steps: once its running prediction is settled.
/// Raw values are the C ABI's `gn_exit_rule`.
public enum ExitRule: UInt32, Sendable {
    /// Every sample runs all T steps.
    case none = 0
    /// Stop a sample after the first step at which its running output's largest value exceeds the
    /// second largest by more than `exitMargin` (a model with one output stops after one step).
    case margin = 1
    /// Stop a sample after the first step at which its running prediction has been the same for
    /// `exitSteps` consecutive steps (counting this one).
    case stable = 2
}
