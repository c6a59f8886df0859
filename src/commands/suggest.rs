//! "Did you mean": the known name closest to one that matched nothing.

/// Edit distance (insertions, deletions, substitutions, and swaps of two neighbours, the
/// commonest slip: `chrun` for `churn`) between `a` and `b`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            row[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                row[j + 1] = row[j + 1].min(before[j - 1] + 1);
            }
        }
        before = std::mem::replace(&mut prev, row);
    }
    prev[b.len()]
}

/// The name among `names` closest to `given`, when it is close enough to be a slip (a third
/// of its characters at most, and at least one) and not `given` itself.
pub fn closest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let given_lower = given.to_lowercase();
    let limit = (given.chars().count() / 3).max(1);
    names
        .into_iter()
        .filter(|n| *n != given)
        .map(|n| (distance(&given_lower, &n.to_lowercase()), n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("wramup", ["warmup", "bigger"]),
            Some("warmup".into())
        );
        assert_eq!(closest("Baseline", ["baseline"]), Some("baseline".into()));
        assert_eq!(closest("zzz", ["warmup"]), None);
        assert_eq!(distance("chrun", "churn"), 1);
        assert_eq!(closest("chrun", ["churn"]), Some("churn".into()));
    }
}
