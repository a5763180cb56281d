//! Column layout for the text tables (`tree`, `status`, `history`, the sync result): cells two
//! spaces apart, widths from the plain text so that colour added afterwards does not shift the
//! columns, and no trailing padding after the last column.

/// Column widths measured over a header and its rows.
pub(super) struct Columns<const N: usize> {
    widths: [usize; N],
}

impl<const N: usize> Columns<N> {
    /// Measures every cell (in characters: the cells are already escaped for the terminal).
    pub(super) fn measure(header: &[&str; N], rows: &[[String; N]]) -> Self {
        let mut widths = header.map(|h| h.chars().count());
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        Columns { widths }
    }

    /// The header line, without a newline.
    pub(super) fn header(&self, header: &[&str; N]) -> String {
        self.line(&header.map(String::from), |_, c| c.to_string())
    }

    /// One row; `paint` may colour a cell (given its column), padding is added after it.
    pub(super) fn line(
        &self,
        cells: &[String; N],
        paint: impl Fn(usize, &str) -> String,
    ) -> String {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(self.widths).enumerate() {
            out.push_str(&paint(i, cell));
            if i + 1 < N {
                let pad = w.saturating_sub(cell.chars().count()) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_plain_text_and_the_last_is_not_padded() {
        let header = ["A", "BB"];
        let rows = [
            ["xyz".to_string(), "1".to_string()],
            ["é".to_string(), "22".to_string()],
        ];
        let cols = Columns::measure(&header, &rows);
        assert_eq!(cols.header(&header), "A    BB");
        assert_eq!(cols.line(&rows[0], |_, c| c.to_string()), "xyz  1");
        assert_eq!(cols.line(&rows[1], |_, c| c.to_string()), "é    22");
        // Paint adds bytes, not width.
        assert_eq!(
            cols.line(&rows[1], |i, c| if i == 0 {
                format!("<{c}>")
            } else {
                c.to_string()
            }),
            "<é>    22"
        );
    }
}
