/// The QCFS activation of the ANN: `clamp(floor((x·L)/λ + 0.5), 0, L)`, then `(q·λ)/L`.
enum QCFS {
    /// Applies QCFS with `levels` and `threshold` to `count` values; `output` may be `input`.
    static func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                      levels: Int, threshold: Float) {
        let levelCount = Float(levels)
        for index in 0..<count {
            output[index] = (level(input[index], levels: levelCount, threshold: threshold) * threshold) / levelCount
        }
    }

    /// The quantisation level `q` in `0 ... L` (as a float) of one value.
    @inline(__always)
    static func level(_ value: Float, levels: Float, threshold: Float) -> Float {
        let scaled = ((value * levels) / threshold + 0.5).rounded(.down)
        // Written so that NaN yields 0 rather than propagating.
        return scaled >= levels ? levels : (scaled > 0 ? scaled : 0)
    }
}
