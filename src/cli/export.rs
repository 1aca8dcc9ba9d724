//! The flags of `export`: a model as an ONNX file or a C++ header.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// ONNX (opset 13, float32): input `features` [N, F] (and `fold` [N, 1] with
    /// folds), output `score` [N, 1].
    Onnx,
    /// A dependency-free C++17 header: constexpr weights, `score(const float*)`, and
    /// the input expressions as C++ functions of the raw branch values.
    Cpp,
}

impl ExportFormat {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Onnx => "onnx",
            ExportFormat::Cpp => "cpp",
        }
    }

    /// The output's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Onnx => "onnx",
            ExportFormat::Cpp => "h",
        }
    }
}

/// `rootgrad export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The model file (`rootgrad train`'s model.json, or the model.json `rootgrad
    /// reweight` saves).
    pub model: PathBuf,
    /// The output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Output file. Default: the model's path with `.onnx` or `.h` for `.json`.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// C++ only: the namespace of everything in the header.
    #[arg(long, default_value = "rootgrad_model")]
    pub namespace: String,
    /// C++ only: write the networks alone, without the functions of raw branch values
    /// (so no input expression needs to be translated to C++).
    #[arg(long)]
    pub weights_only: bool,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
}
