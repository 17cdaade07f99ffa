/// Element-wise kernels. Output may be the same memory as an input (in-place).
enum Elementwise {
    /// `output[i] = first[i] + second[i]`.
    static func add(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>,
                    into output: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { output[index] = first[index] + second[index] }
    }

    /// `output[p][c] = input[p][c] · scale[c] + shift[c]` over `pixels` channels-last positions.
    static func affine(_ input: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                       into output: UnsafeMutablePointer<Float>, pixels: Int, channels: Int) {
        for pixel in 0..<pixels {
            let base = pixel * channels
            for channel in 0..<channels {
                output[base + channel] = input[base + channel] * scale[channel] + shift[channel]
            }
        }
    }
}
