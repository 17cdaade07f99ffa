/// Conversions between the API's NCHW layout and the channels-last layout inside.
enum TensorLayout {
    /// `[batch][channels][pixels]` → `[batch][pixels][channels]`. Every run's input passes through it:
    /// unsafe pointers and wrapping index arithmetic on purpose, in runs of `pixelsPerRun` pixels, so
    /// that each channel's plane is read in order and a run's target stays in cache while its channels
    /// fill it. One channel or one pixel per sample (an image of one plane, a vector): the layouts
    /// agree, one copy.
    static func channelsLast(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                             batch: Int, channels: Int, pixels: Int) {
        if channels == 1 || pixels == 1 {
            output.update(from: input, count: batch * channels * pixels)
            return
        }
        let pixelsPerRun = 64
        for sample in 0..<batch {
            let source = input + sample * channels * pixels
            let target = output + sample * channels * pixels
            var first = 0
            while first < pixels {
                let count = min(pixelsPerRun, pixels - first)
                for channel in 0..<channels {
                    let from = source + (channel &* pixels &+ first), to = target + (first &* channels &+ channel)
                    for pixel in 0..<count { to[pixel &* channels] = from[pixel] }
                }
                first += count
            }
        }
    }

    /// `[batch][pixels][channels]` → `[batch][channels][pixels]`, each value divided by `divisor`
    /// (one channel or one pixel per sample: the layouts agree, value by value in order).
    static func channelsFirst(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                              batch: Int, channels: Int, pixels: Int, dividedBy divisor: Float) {
        if channels == 1 || pixels == 1 {
            for index in 0..<batch * channels * pixels { output[index] = input[index] / divisor }
            return
        }
        for sample in 0..<batch {
            let source = input + sample * channels * pixels
            let target = output + sample * channels * pixels
            for channel in 0..<channels {
                for pixel in 0..<pixels { target[channel * pixels + pixel] = source[pixel * channels + channel] / divisor }
            }
        }
    }
}
