//! Doc comments for generated fields. The schema carries no comments, so each field is described by
//! what the schema does say: its TL name and type and, for optional fields, the flag bit that makes
//! it present. (Types and functions get the whole TL line, id included, from `emit`.)

use tgwire_tl_parser::{ParamType, Parameter};

/// The `///` lines for one field of a generated struct.
pub(crate) fn field(p: &Parameter) -> String {
    let ParamType::Normal { ty, flag } = &p.ty else {
        return String::new();
    };
    let name = &p.name;
    match flag {
        None => format!("    /// TL `{name}:{ty}`.\n"),
        Some(f) if p.is_flag_bit() => format!(
            "    /// TL `{name}:{}.{}?true`: bit {} of `{}` (`true` when set).\n",
            f.field, f.bit, f.bit, f.field
        ),
        Some(f) => format!(
            "    /// TL `{name}:{}.{}?{ty}`: present (`Some`) when bit {} of `{}` is set.\n",
            f.field, f.bit, f.bit, f.field
        ),
    }
}
