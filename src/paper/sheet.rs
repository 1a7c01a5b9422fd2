//! A page to set text and rules on, in points from the top-left corner; `y` of a text
//! is its baseline.

use krilla::geom::{PathBuilder, Point, Rect};
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::text::TextDirection;

use super::PaperFont;

pub struct Sheet<'s, 'f> {
    surface: Surface<'s>,
    font: &'f PaperFont,
}

impl<'s, 'f> Sheet<'s, 'f> {
    pub fn new(surface: Surface<'s>, font: &'f PaperFont) -> Self {
        Self { surface, font }
    }

    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.font.width(text, size)
    }

    /// Text from `x` on.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.surface.set_stroke(None);
        self.surface.draw_text(Point::from_xy(x, y), self.font.krilla(), size, text, false, TextDirection::Auto);
    }

    /// Text ending at `right`.
    pub fn right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let w = self.width(text, size);
        self.text(right - w, y, size, text);
    }

    /// Text centred on `center`.
    pub fn center(&mut self, center: f32, y: f32, size: f32, text: &str) {
        let w = self.width(text, size);
        self.text(center - w / 2.0, y, size, text);
    }

    /// Text from `x` cut to `max` points wide, ending in `…` when cut.
    pub fn fitted(&mut self, x: f32, y: f32, size: f32, text: &str, max: f32) {
        let fitted = self.fit(text, size, max);
        self.text(x, y, size, &fitted);
    }

    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_string();
        }
        let room = max - self.width("…", size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.width(c.encode_utf8(&mut [0; 4]), size);
            if used + w > room {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// A straight rule.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        let mut p = PathBuilder::new();
        p.move_to(from.0, from.1);
        p.line_to(to.0, to.1);
        self.stroke(p, width);
    }

    /// A box.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        let Some(r) = Rect::from_xywh(x, y, w, h) else { return };
        let mut p = PathBuilder::new();
        p.push_rect(r);
        self.stroke(p, width);
    }

    fn stroke(&mut self, p: PathBuilder, width: f32) {
        let Some(path) = p.finish() else { return };
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke { width, ..Stroke::default() }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
    }

    pub fn finish(self) {
        self.surface.finish();
    }
}
