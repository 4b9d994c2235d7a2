//! The table every store's benchmark prints: for each workload the median over the
//! rounds with the fastest and slowest, the raw figure measured in the same run, their
//! ratio, the target and whether this run met it.

/// One contender's figures over the rounds.
#[derive(Debug, Default, Clone)]
pub struct Figures(pub Vec<f64>);

impl Figures {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The median round (0 when there is none).
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }

    /// `median (min–max) unit`, scaled by `scale`, with `digits` decimals.
    pub fn spread(&self, scale: f64, digits: usize, unit: &str) -> String {
        let v = self.sorted();
        let (Some(min), Some(max)) = (v.first(), v.last()) else {
            return String::new();
        };
        format!(
            "{:.digits$} ({:.digits$}–{:.digits$}) {unit}",
            self.median() * scale,
            min * scale,
            max * scale,
        )
    }

    /// The `p`-th percentile (0–100) of all values.
    pub fn percentile(&self, p: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return 0.0;
        }
        let at = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[at.min(v.len() - 1)]
    }
}

/// One printed row.
#[derive(Debug, Default)]
pub struct Row {
    pub operation: String,
    pub ours: String,
    pub raw: String,
    pub ratio: String,
    pub target: String,
    pub met: &'static str,
}

/// `met` or `missed`.
pub fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "missed" }
}

/// A ratio of throughputs as a percentage of raw.
pub fn percent_of_raw(ours: &Figures, raw: &Figures) -> String {
    format!("{:.0}% of raw", 100.0 * ours.median() / raw.median())
}

/// Progress on stderr, so that a long run is seen to move and the table stays clean.
pub fn progress(what: &str) {
    eprintln!("… {what}");
}

/// Prints `rows` under `title` as a Markdown table.
pub fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}\n");
    let header = Row {
        operation: "workload".into(),
        ours: "eventsource: median (min–max)".into(),
        raw: "raw, same run: median (min–max)".into(),
        ratio: "ratio".into(),
        target: "target".into(),
        met: "",
    };
    let cells = |r: &Row| -> [String; 6] {
        [
            r.operation.clone(),
            r.ours.clone(),
            r.raw.clone(),
            r.ratio.clone(),
            r.target.clone(),
            r.met.to_string(),
        ]
    };
    let mut widths = [0usize; 6];
    for row in rows.iter().chain([&header]) {
        for (w, c) in widths.iter_mut().zip(cells(row)) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |r: &Row| {
        let mut out = String::from("|");
        for (i, (w, c)) in widths.iter().zip(cells(r)).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            if i == 0 {
                out += &format!(" {c}{pad} |");
            } else {
                out += &format!(" {pad}{c} |");
            }
        }
        println!("{out}");
    };
    line(&header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    println!("|{}|", rule.join("|"));
    for row in rows {
        line(row);
    }
}
