//! `rootgrad export MODEL --format onnx|cpp`: the model as an ONNX file or a C++
//! header ([`crate::export`]), written whole or not at all, never over an existing file
//! without `--force`.

use std::io::Write;

use crate::cli::{ExportArgs, ExportFormat};
use crate::export::{cpp, onnx, Exported};
use crate::output::write_atomically;
use crate::{Error, Result};

pub fn run(o: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let path = o
        .output
        .clone()
        .unwrap_or_else(|| o.model.with_extension(o.format.extension()));
    if path == o.model {
        return Err(Error::Usage(format!(
            "{}: the output would overwrite the model; give another --output",
            path.display()
        )));
    }
    if path.exists() && !o.force {
        return Err(Error::OutputExists { path });
    }
    if o.format == ExportFormat::Onnx && (o.weights_only || o.namespace != "rootgrad_model") {
        return Err(Error::Usage(
            "--weights-only and --namespace are for --format cpp".into(),
        ));
    }
    let m = Exported::read(&o.model).map_err(|e| match e {
        Error::Usage(msg) => Error::Usage(format!(
            "{msg} (cannot export to format {})",
            o.format.name()
        )),
        e => e,
    })?;
    let bytes = match o.format {
        ExportFormat::Onnx => onnx::write(&m),
        ExportFormat::Cpp => cpp::write(&m, &o.namespace, o.weights_only)?.into_bytes(),
    };
    write_atomically(&path, o.force, |w| {
        w.write_all(&bytes).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })
    })?;
    writeln!(
        out,
        "{} ({} inputs, {} network{}) -> {} ({})",
        o.model.display(),
        m.inputs.len(),
        m.nets.len(),
        if m.nets.len() == 1 { "" } else { "s" },
        path.display(),
        o.format.name()
    )
    .map_err(|source| Error::Io {
        path: "<stdout>".into(),
        source,
    })
}
