//! A small PDF 1.4 writer, by hand: no fonts to embed (the base-14
//! Helvetica and Helvetica-Bold with WinAnsi encoding), no compression, no
//! images. Enough for prescriptions, referral letters and invoices: a
//! letterhead, headings, wrapped paragraphs, label–value lines, rules,
//! tables that continue across pages with their header repeated, a
//! signature line, and on every page the patient (or customer) line and
//! "Page x of y".
//!
//! A [`Document`] is a list of [`Block`]s; [`Document::render`] lays them
//! out on A4 pages and writes the file with a correct cross-reference
//! table. Text is drawn as text (`Tj`), never interpreted: a name with
//! parentheses or backslashes is escaped, characters outside WinAnsi
//! become `?`.

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
/// Room kept at the bottom for the footer.
const FOOTER_H: f32 = 28.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "/F1",
            Font::Bold => "/F2",
        }
    }
}

/// A table column: its title and its share of the text width (the shares
/// of a table should add up to 1).
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub share: f32,
}

impl Column {
    pub fn new(title: impl Into<String>, share: f32) -> Self {
        Self { title: title.into(), share }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    /// Wrapped text; `\n` starts a new line.
    Paragraph(String),
    /// A bold label and its value, wrapped beside it.
    Field(String, String),
    Rule,
    Space(f32),
    Table { columns: Vec<Column>, rows: Vec<Vec<String>> },
    /// A line to sign on, with a caption under it.
    Signature(String),
    PageBreak,
}

#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    /// The letterhead: the first line large and bold (the clinic's name),
    /// the others small (address, phone). Later pages repeat the first.
    pub letterhead: Vec<String>,
    /// The footer of every page, e.g. "Ana Costa, born 1984-03-12".
    pub running: String,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>, letterhead: Vec<String>, running: impl Into<String>) -> Self {
        Self { title: title.into(), letterhead, running: running.into(), blocks: Vec::new() }
    }

    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// The finished file.
    pub fn render(&self) -> Vec<u8> {
        let pages = Layout::run(self);
        write_file(&self.title, &pages)
    }
}

// ---- Text measurement and encoding ----

/// Advance widths (1/1000 em) of WinAnsi 32..=126, from the Adobe AFM files.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The WinAnsi byte for a character; `?` for what it cannot show.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{A0}'..='\u{FF}' => c as u32 as u8,
        '€' => 0x80, '‚' => 0x82, 'ƒ' => 0x83, '„' => 0x84, '…' => 0x85, '†' => 0x86, '‡' => 0x87, 'ˆ' => 0x88,
        '‰' => 0x89, 'Š' => 0x8A, '‹' => 0x8B, 'Œ' => 0x8C, 'Ž' => 0x8E, '\u{2018}' => 0x91, '\u{2019}' => 0x92,
        '\u{201C}' => 0x93, '\u{201D}' => 0x94, '•' => 0x95, '–' => 0x96, '—' => 0x97, '˜' => 0x98, '™' => 0x99,
        'š' => 0x9A, '›' => 0x9B, 'œ' => 0x9C, 'ž' => 0x9E, 'Ÿ' => 0x9F,
        c if c.is_whitespace() || c.is_control() => b' ',
        _ => b'?',
    }
}

fn char_width(c: char, font: Font) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let b = win_ansi(c);
    // Accented and other WinAnsi letters: close to a lower-case letter.
    let units = if (32..=126).contains(&b) { table[(b - 32) as usize] } else { 556 };
    f32::from(units)
}

pub fn text_width(text: &str, font: Font, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, font)).sum::<f32>() * size / 1000.0
}

/// A PDF literal string: WinAnsi bytes with `(`, `)`, `\` escaped and
/// everything outside printable ASCII written as an octal escape, so the
/// file stays 7-bit.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match win_ansi(c) {
            b @ (b'(' | b')' | b'\\') => {
                out.push('\\');
                out.push(b as char);
            }
            b @ 32..=126 => out.push(b as char),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

/// Greedy word wrap to `width`; words longer than a line are cut.
pub fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if text_width(&candidate, font, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone, cut into pieces if it is wider than a line.
            for c in word.chars() {
                if !line.is_empty() && text_width(&format!("{line}{c}"), font, size) > width {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines
}

fn num(v: f32) -> String {
    format!("{v:.2}")
}

// ---- Layout ----

struct Layout<'a> {
    doc: &'a Document,
    pages: Vec<String>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn run(doc: &'a Document) -> Vec<String> {
        let mut layout = Layout { doc, pages: Vec::new(), y: 0.0 };
        layout.new_page();
        for block in &doc.blocks {
            layout.block(block);
        }
        let total = layout.pages.len();
        let running = doc.running.clone();
        for (i, page) in layout.pages.iter_mut().enumerate() {
            let foot = MARGIN - 8.0;
            page.push_str(&line_op(MARGIN, MARGIN + 4.0, PAGE_W - MARGIN, MARGIN + 4.0, 0.5));
            page.push_str(&text_op(MARGIN, foot, Font::Regular, SMALL, &running));
            let number = format!("Page {} of {}", i + 1, total);
            let x = PAGE_W - MARGIN - text_width(&number, Font::Regular, SMALL);
            page.push_str(&text_op(x, foot, Font::Regular, SMALL, &number));
        }
        layout.pages
    }

    fn page(&mut self) -> &mut String {
        if self.pages.is_empty() {
            self.pages.push(String::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(String::new());
        self.y = PAGE_H - MARGIN;
        let first = self.pages.len() == 1;
        let doc = self.doc;
        let mut lines = doc.letterhead.iter();
        if let Some(name) = lines.next() {
            let size = if first { 16.0 } else { SMALL };
            self.y -= size;
            let (y, name) = (self.y, name.clone());
            self.page().push_str(&text_op(MARGIN, y, Font::Bold, size, &name));
            if first {
                for extra in lines {
                    self.y -= 11.0;
                    let (y, extra) = (self.y, extra.clone());
                    self.page().push_str(&text_op(MARGIN, y, Font::Regular, 9.0, &extra));
                }
            } else {
                let title = doc.title.clone();
                let x = PAGE_W - MARGIN - text_width(&title, Font::Regular, SMALL);
                self.page().push_str(&text_op(x, y, Font::Regular, SMALL, &title));
            }
            self.y -= 8.0;
            let y = self.y;
            self.page().push_str(&line_op(MARGIN, y, PAGE_W - MARGIN, y, 0.8));
            self.y -= 14.0;
        }
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height < MARGIN + FOOTER_H {
            self.new_page();
            return true;
        }
        false
    }

    fn text_line(&mut self, x: f32, font: Font, size: f32, text: &str) {
        let leading = size * 1.35;
        self.room(leading);
        self.y -= leading;
        let y = self.y;
        self.page().push_str(&text_op(x, y + size * 0.3, font, size, text));
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(text) => {
                self.room(40.0);
                self.y -= 6.0;
                for line in wrap(text, Font::Bold, 12.0, TEXT_W) {
                    self.text_line(MARGIN, Font::Bold, 12.0, &line);
                }
                self.y -= 2.0;
            }
            Block::Paragraph(text) => {
                for line in wrap(text, Font::Regular, BODY, TEXT_W) {
                    self.text_line(MARGIN, Font::Regular, BODY, &line);
                }
                self.y -= 4.0;
            }
            Block::Field(label, value) => {
                let label_w = TEXT_W * 0.28;
                let value_lines = wrap(value, Font::Regular, BODY, TEXT_W - label_w);
                for (i, line) in value_lines.iter().enumerate() {
                    let leading = BODY * 1.35;
                    self.room(leading);
                    self.y -= leading;
                    let y = self.y + BODY * 0.3;
                    if i == 0 {
                        self.page().push_str(&text_op(MARGIN, y, Font::Bold, BODY, label));
                    }
                    self.page().push_str(&text_op(MARGIN + label_w, y, Font::Regular, BODY, line));
                }
            }
            Block::Rule => {
                self.room(10.0);
                self.y -= 5.0;
                let y = self.y;
                self.page().push_str(&line_op(MARGIN, y, PAGE_W - MARGIN, y, 0.5));
                self.y -= 5.0;
            }
            Block::Space(points) => {
                if !self.room(*points) {
                    self.y -= points;
                }
            }
            Block::Table { columns, rows } => self.table(columns, rows),
            Block::Signature(caption) => {
                self.room(60.0);
                self.y -= 40.0;
                let y = self.y;
                self.page().push_str(&line_op(MARGIN, y, MARGIN + 220.0, y, 0.8));
                self.y -= 12.0;
                let y = self.y;
                self.page().push_str(&text_op(MARGIN, y, Font::Regular, SMALL, caption));
                self.y -= 6.0;
            }
            Block::PageBreak => self.new_page(),
        }
    }

    fn table_header(&mut self, columns: &[Column], xs: &[f32]) {
        self.room(30.0);
        let size = 9.0;
        self.y -= size * 1.4;
        let y = self.y + size * 0.3;
        for (column, x) in columns.iter().zip(xs) {
            self.page().push_str(&text_op(*x, y, Font::Bold, size, &column.title));
        }
        self.y -= 3.0;
        let y = self.y;
        self.page().push_str(&line_op(MARGIN, y, PAGE_W - MARGIN, y, 0.5));
    }

    fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let size = 9.0;
        let leading = size * 1.35;
        let mut xs = Vec::with_capacity(columns.len());
        let mut x = MARGIN;
        for column in columns {
            xs.push(x);
            x += column.share * TEXT_W;
        }
        self.table_header(columns, &xs);
        for row in rows {
            let cells: Vec<Vec<String>> = columns
                .iter()
                .enumerate()
                .map(|(i, column)| wrap(row.get(i).map(String::as_str).unwrap_or(""), Font::Regular, size, column.share * TEXT_W - 4.0))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            self.y -= 2.0;
            // Line by line, so a tall row continues on the next page under
            // a repeated header.
            for k in 0..height {
                if self.y - leading < MARGIN + FOOTER_H {
                    self.new_page();
                    self.table_header(columns, &xs);
                }
                self.y -= leading;
                let y = self.y + size * 0.3;
                for (cell, x) in cells.iter().zip(&xs) {
                    if let Some(line) = cell.get(k) {
                        self.page().push_str(&text_op(*x, y, Font::Regular, size, line));
                    }
                }
            }
            self.y -= 2.0;
            let y = self.y;
            self.page().push_str(&line_op(MARGIN, y, PAGE_W - MARGIN, y, 0.25));
        }
        self.y -= 6.0;
    }
}

fn text_op(x: f32, y: f32, font: Font, size: f32, text: &str) -> String {
    format!("BT {} {} Tf 1 0 0 1 {} {} Tm {} Tj ET\n", font.resource(), num(size), num(x), num(y), literal(text))
}

fn line_op(x1: f32, y1: f32, x2: f32, y2: f32, width: f32) -> String {
    format!("{} w {} {} m {} {} l S\n", num(width), num(x1), num(y1), num(x2), num(y2))
}

// ---- The file ----

fn write_file(title: &str, pages: &[String]) -> Vec<u8> {
    // Objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then a page
    // and its content stream for each page.
    let page_obj = |i: usize| 6 + 2 * i;
    let kids: Vec<String> = (0..pages.len()).map(|i| format!("{} 0 R", page_obj(i))).collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
        format!("<< /Title {} /Producer (Ambula) >>", literal(title)).into_bytes(),
    ];
    for (i, content) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                num(PAGE_W),
                num(PAGE_H),
                page_obj(i) + 1
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(content.as_bytes());
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    // The binary comment on line 2 tells transfer tools the file is binary.
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    // Each entry is exactly 20 bytes: 10 + space + 5 + space + flag + space + LF.
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.extend_from_slice(table.as_bytes());
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks the file's skeleton the way a reader does: header, trailer,
    /// `startxref` pointing at the table, every entry at its object.
    /// Returns the number of pages.
    pub(crate) fn check_structure(pdf: &[u8]) -> usize {
        assert!(pdf.starts_with(b"%PDF-1.4\n"), "header");
        assert!(pdf.ends_with(b"%%EOF\n"), "end marker");
        // One char per byte, so string offsets are file offsets.
        let text: String = pdf.iter().map(|&b| if b.is_ascii() { b as char } else { '?' }).collect();
        let at = text.rfind("startxref\n").expect("startxref") + "startxref\n".len();
        let xref: usize = text[at..].lines().next().unwrap().parse().expect("xref offset");
        assert_eq!(&pdf[xref..xref + 5], b"xref\n", "startxref points at the table");
        let mut lines = text[xref..].lines().skip(1);
        let count: usize = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        assert_eq!(lines.next().unwrap(), "0000000000 65535 f ");
        for n in 1..count {
            let entry = lines.next().unwrap();
            assert_eq!(entry.len(), 19, "entries are 20 bytes with the newline: {entry:?}");
            let offset: usize = entry[..10].parse().unwrap();
            let expected = format!("{n} 0 obj\n");
            assert_eq!(&pdf[offset..offset + expected.len()], expected.as_bytes(), "object {n}");
        }
        assert!(lines.next().unwrap().starts_with("trailer"));
        assert!(text.contains(&format!("/Size {count}")));
        // Stream lengths are exact.
        let mut rest = &text[..];
        while let Some(i) = rest.find("<< /Length ") {
            let after = &rest[i + 11..];
            let len: usize = after[..after.find(' ').unwrap()].parse().unwrap();
            let start = after.find("stream\n").unwrap() + 7;
            assert!(after[start + len..].starts_with("\nendstream"), "stream length");
            rest = &after[start + len..];
        }
        let pages = text.matches("/Type /Page ").count();
        assert!(text.contains(&format!("/Count {pages} ")), "page tree counts every page");
        pages
    }

    fn letter() -> Document {
        Document::new("Prescription", vec!["Harbour Clinic".into(), "1 Quay Street, Lisbon".into()], "Ana Costa, born 1984-03-12")
    }

    #[test]
    fn a_one_page_document_is_well_formed() {
        let mut doc = letter();
        doc.push(Block::Heading("Prescription".into()))
            .push(Block::Field("Patient".into(), "Ana Costa".into()))
            .push(Block::Rule)
            .push(Block::Table { columns: vec![Column::new("Drug", 0.5), Column::new("Dose", 0.5)], rows: vec![vec!["Amoxicillin 500 mg".into(), "1 capsule".into()]] })
            .push(Block::Signature("Dr Silva".into()));
        let pdf = doc.render();
        assert_eq!(check_structure(&pdf), 1);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Harbour Clinic) Tj"));
        assert!(text.contains("(Page 1 of 1) Tj"));
        assert!(text.contains("(Ana Costa, born 1984-03-12) Tj"));
        assert!(text.contains("/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"));
    }

    #[test]
    fn long_documents_get_pages_each_with_patient_and_page_x_of_y() {
        let mut doc = letter();
        for i in 0..120 {
            doc.push(Block::Paragraph(format!("Line {i}: the quick brown fox jumps over the lazy dog.")));
        }
        let rows: Vec<Vec<String>> = (0..80).map(|i| vec![format!("Item {i}"), "x ".repeat(200)]).collect();
        doc.push(Block::Table { columns: vec![Column::new("Item", 0.3), Column::new("Detail", 0.7)], rows });
        let pdf = doc.render();
        let pages = check_structure(&pdf);
        assert!(pages >= 4, "{pages} pages");
        let text = String::from_utf8_lossy(&pdf);
        for page in 1..=pages {
            assert!(text.contains(&format!("(Page {page} of {pages}) Tj")), "page {page}");
        }
        assert_eq!(text.matches("(Ana Costa, born 1984-03-12) Tj").count(), pages);
        assert!(text.matches("(Detail) Tj").count() > 1, "the table header repeats on later pages");
    }

    #[test]
    fn text_is_escaped_and_win_ansi_encoded() {
        assert_eq!(literal("Costa (Ana) \\ x"), "(Costa \\(Ana\\) \\\\ x)");
        assert_eq!(literal("José €5 — ok"), "(Jos\\351 \\2005 \\227 ok)");
        assert_eq!(literal("日本\u{0}"), "(?? )");
        let mut doc = letter();
        doc.push(Block::Paragraph(") Tj ET BT /F1 99 Tf (injected".into()));
        let pdf = doc.render();
        check_structure(&pdf);
        assert!(String::from_utf8_lossy(&pdf).contains("(\\) Tj ET BT /F1 99 Tf \\(injected) Tj"));
        assert!(pdf.iter().skip(16).all(|b| b.is_ascii()), "7-bit after the header's binary comment");
    }

    #[test]
    fn wrapping_respects_the_width_and_cuts_long_words() {
        let lines = wrap("aaa bbb ccc", Font::Regular, 10.0, text_width("aaa bbb", Font::Regular, 10.0));
        assert_eq!(lines, vec!["aaa bbb", "ccc"]);
        let long = wrap(&"w".repeat(500), Font::Regular, 10.0, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| text_width(l, Font::Regular, 10.0) <= 100.0));
        assert_eq!(wrap("one\ntwo", Font::Bold, 10.0, 500.0), vec!["one", "two"]);
        assert!(text_width("W", Font::Bold, 10.0) > text_width("i", Font::Bold, 10.0));
    }
}
