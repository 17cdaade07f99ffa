/// Byte offsets and constants of the model file, format 1.x (docs/model-format.md).
package enum ModelFormat {
    /// `G N R T` read as a little-endian u32.
    package static let magic: UInt32 = 0x5452_4E47
    /// The major version this reader understands.
    package static let majorVersion: UInt16 = 1
    /// The newest minor version this reader knows (1.1 added int8 weights). Writers put the oldest
    /// minor version whose features a file uses, so that older readers load what they can.
    package static let minorVersion: UInt16 = 1
    /// Header size in bytes.
    package static let headerSize = 64
    /// Layer record size in bytes.
    package static let recordSize = 64
    /// Alignment of every blob, in bytes.
    package static let blobAlignment = 64
    /// The most layers a model may have.
    package static let maxLayers = 65535
    /// The largest `L` a QCFS layer may declare.
    package static let maxLevels = 65535
    /// Input B of a layer that has one input.
    package static let noInput: UInt32 = 0xFFFF_FFFF

    /// Header field offsets.
    package enum Header {
        package static let magic = 0
        package static let major = 4
        package static let minor = 6
        package static let headerSize = 8
        package static let checksum = 12
        package static let fileSize = 16
        package static let layerCount = 24
        package static let recordSize = 28
        package static let tableOffset = 32
        package static let inputChannels = 40
        package static let inputHeight = 44
        package static let inputWidth = 48
    }

    /// Layer record field offsets.
    package enum Record {
        package static let kind = 0
        package static let flags = 2
        package static let inputA = 4
        package static let inputB = 8
        package static let channels = 12
        package static let height = 16
        package static let width = 20
        package static let kernelHeight = 24
        package static let kernelWidth = 26
        package static let strideHeight = 28
        package static let strideWidth = 30
        package static let paddingHeight = 32
        package static let paddingWidth = 34
        package static let levels = 36
        package static let threshold = 40
        package static let blobP = 48
        package static let blobQ = 56
    }

    /// Flag bit 0 of a layer record: the conv2d or linear layer has a bias.
    package static let flagHasBias: UInt16 = 1
    /// Flag bit 1 of a layer record (format 1.1): the conv2d or linear layer's weights are int8, with
    /// one f32 scale per output channel at the start of blob Q (the bias, if any, follows them).
    package static let flagInt8Weights: UInt16 = 2
}
