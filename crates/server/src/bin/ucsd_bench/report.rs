//! Figures, their targets, and the Markdown table they are written as.

/// The value at quantile `p` (0–1) of sorted samples, nearest rank; 0 for no samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p.clamp(0.0, 1.0)).round() as usize;
    sorted[i]
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub figure: String,
    /// What it is compared with (e.g. pgbench TPS), if anything.
    pub reference: String,
    pub ratio: String,
    pub target: String,
    pub met: Option<bool>,
}

impl Row {
    pub fn new(name: impl Into<String>, figure: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            figure: figure.into(),
            reference: String::new(),
            ratio: String::new(),
            target: String::new(),
            met: None,
        }
    }

    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = reference.into();
        self
    }

    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = format!("{ratio:.2}");
        self
    }

    pub fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("| measurement | figure | compared with | ratio | target | met |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for r in &self.rows {
            let met = match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.name, r.figure, r.reference, r.ratio, r.target, met
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("\n{n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(percentile(&samples, 0.5), 51.0);
        assert_eq!(percentile(&samples, 0.99), 99.0);
        assert_eq!(percentile(&samples, 1.0), 100.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn the_markdown_table_has_a_line_per_row() {
        let mut report = Report::default();
        report.push(Row::new("a", "1 req/s").reference("2 tps").ratio(0.5).target(">= 0.5", true));
        report.push(Row::new("b", "3 ms").target("< 1 ms", false));
        let md = report.markdown();
        assert_eq!(md.lines().count(), 4);
        assert!(md.contains("| a | 1 req/s | 2 tps | 0.50 | >= 0.5 | yes |"));
        assert!(md.contains("| b | 3 ms |  |  | < 1 ms | **no** |"));
    }
}
