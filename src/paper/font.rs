//! The Japanese font documents are set in: the one named by `print.font`, else IPAex
//! Gothic, which ships inside the program (IPA Font Licence v1.0, in `assets/fonts/`), so
//! a fresh machine prints without installing anything.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use super::PaperError;

static BUNDLED: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// A font file larger than this is not read (the largest CJK fonts are about 20 MB).
const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

/// Characters every document needs: a font without them would print empty boxes.
const NEEDED: &[char] = &['領', '収', '書', '日', '計', '表', '円', '¥', '0', 'T'];

#[derive(Clone)]
pub struct PaperFont {
    bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    font: krilla::text::Font,
}

impl std::fmt::Debug for PaperFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaperFont")
    }
}

struct Static(&'static [u8]);

impl AsRef<[u8]> for Static {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

impl PaperFont {
    /// The font named in the configuration, or the one that ships inside the program.
    pub fn load(configured: Option<&Path>) -> Result<Self, PaperError> {
        let Some(path) = configured else {
            return Self::from_bytes(Arc::new(Static(BUNDLED)))
                .ok_or_else(|| PaperError::FontNotJapanese { path: "(bundled)".into() });
        };
        let unreadable = |source| PaperError::FontUnreadable { path: path.to_path_buf(), source };
        let mut bytes = Vec::new();
        // Read with a bound: a path to a device or a huge file must not exhaust memory.
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FONT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_FONT_BYTES {
            return Err(PaperError::FontNotJapanese { path: path.to_path_buf() });
        }
        Self::from_bytes(Arc::new(bytes)).ok_or_else(|| PaperError::FontNotJapanese { path: path.to_path_buf() })
    }

    fn from_bytes(bytes: Arc<dyn AsRef<[u8]> + Send + Sync>) -> Option<Self> {
        {
            let face = FontRef::from_index((*bytes).as_ref(), 0).ok()?;
            let map = face.charmap();
            if NEEDED.iter().any(|c| map.map(*c).is_none()) {
                return None;
            }
        }
        let font = krilla::text::Font::new(bytes.clone().into(), 0)?;
        Some(Self { bytes, font })
    }

    pub(super) fn krilla(&self) -> krilla::text::Font {
        self.font.clone()
    }

    /// The width of `text` set at `size` points, from the font's advance widths.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = FontRef::from_index((*self.bytes).as_ref(), 0) else { return 0.0 };
        let map = face.charmap();
        let metrics = face.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars().map(|c| metrics.advance_width(map.map(c).unwrap_or_default()).unwrap_or(size)).sum()
    }
}
