//! `info`: what m2auth found (Magento version, mode, auth modules, database and cache
//! backends), no secrets.

use crate::app::{Common, Outcome, Result};
use crate::report::{self, Format, Output};

/// `info`.
pub fn run(common: &Common) -> Result<Outcome> {
    let ctx = common.load(None)?;
    let info = report::info::gather(&ctx, &common.db);
    let out = if common.format == Format::Json {
        Output::Json(serde_json::to_value(&info)?)
    } else {
        Output::Text(report::info::to_text(&info, &common.style))
    };
    Ok(common.outcome(&ctx, out, 0))
}
