/// Byte offsets and constants of the model file, format 1.x (docs/model-format.md).
enum ModelFormat {
    /// `G N R T` read as a little-endian u32.
    static let magic: UInt32 = 0x5452_4E47
    /// The major version this reader understands.
    static let majorVersion: UInt16 = 1
    /// The minor version this writer produces.
    static let minorVersion: UInt16 = 0
    /// Header size in bytes.
    static let headerSize = 64
    /// Layer record size in bytes.
    static let recordSize = 64
    /// Alignment of every blob, in bytes.
    static let blobAlignment = 64
    /// The most layers a model may have.
    static let maxLayers = 65535
    /// The largest `L` a QCFS layer may declare.
    static let maxLevels = 65535
    /// Input B of a layer that has one input.
    static let noInput: UInt32 = 0xFFFF_FFFF

    /// Header field offsets.
    enum Header {
        static let magic = 0
        static let major = 4
        static let minor = 6
        static let headerSize = 8
        static let checksum = 12
        static let fileSize = 16
        static let layerCount = 24
        static let recordSize = 28
        static let tableOffset = 32
        static let inputChannels = 40
        static let inputHeight = 44
        static let inputWidth = 48
    }

    /// Layer record field offsets.
    enum Record {
        static let kind = 0
        static let flags = 2
        static let inputA = 4
        static let inputB = 8
        static let channels = 12
        static let height = 16
        static let width = 20
        static let kernelHeight = 24
        static let kernelWidth = 26
        static let strideHeight = 28
        static let strideWidth = 30
        static let paddingHeight = 32
        static let paddingWidth = 34
        static let levels = 36
        static let threshold = 40
        static let blobP = 48
        static let blobQ = 56
    }

    /// Flag bit 0 of a layer record: the conv2d or linear layer has a bias.
    static let flagHasBias: UInt16 = 1
}
