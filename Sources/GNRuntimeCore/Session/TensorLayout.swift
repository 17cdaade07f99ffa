/// Conversions between the API's NCHW layout and the channels-last layout inside.
enum TensorLayout {
    /// `[batch][channels][pixels]` → `[batch][pixels][channels]`.
    static func channelsLast(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                             batch: Int, channels: Int, pixels: Int) {
        for sample in 0..<batch {
            let source = input + sample * channels * pixels
            let target = output + sample * channels * pixels
            for channel in 0..<channels {
                for pixel in 0..<pixels { target[pixel * channels + channel] = source[channel * pixels + pixel] }
            }
        }
    }

    /// `[batch][pixels][channels]` → `[batch][channels][pixels]`, each value divided by `divisor`.
    static func channelsFirst(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                              batch: Int, channels: Int, pixels: Int, dividedBy divisor: Float) {
        for sample in 0..<batch {
            let source = input + sample * channels * pixels
            let target = output + sample * channels * pixels
            for channel in 0..<channels {
                for pixel in 0..<pixels { target[channel * pixels + pixel] = source[pixel * channels + channel] / divisor }
            }
        }
    }
}
