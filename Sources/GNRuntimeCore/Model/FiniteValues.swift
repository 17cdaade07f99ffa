/// Where an array of floats first holds NaN or infinity: the check of model blobs when a model is
/// validated, and of every run's input.
enum FiniteValues {
    /// The index of the first of `count` floats at `values` that is NaN or infinite, or nil.
    /// SIMD on purpose (16 floats per step: `x − x` is 0 for a finite `x`, NaN otherwise), since every
    /// run checks its whole input; Embedded builds, without a vector unit, check one float at a time.
    static func firstNonFinite(_ values: UnsafePointer<Float>, count: Int) -> Int? {
        var index = 0
        #if !hasFeature(Embedded)
        while index + 16 <= count {
            let vector = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD16<Float>.self)
            if any((vector - vector) .!= 0) { break }
            index += 16
        }
        #endif
        while index < count {
            if !values[index].isFinite { return index }
            index += 1
        }
        return nil
    }
}
