//! A sorted set's two indexes (member → score, and (score, member) order)
//! agree after any sequence of changes, and its order is Redis's.

use std::collections::BTreeMap;
use std::ops::Bound;

use ferrite_plugin_host::keyspace::{Score, ZSet};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, f64),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let score = prop_oneof![
        (-3i8..3).prop_map(f64::from),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
    ];
    prop_oneof![
        (0u8..12, score).prop_map(|(m, s)| Op::Insert(m, s)),
        (0u8..12).prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_two_indexes_agree(ops in prop::collection::vec(op(), 0..60)) {
        let mut z = ZSet::new();
        let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(m, s) => {
                    let before = model.insert(vec![m], s);
                    prop_assert_eq!(z.insert(&[m], Score::new(s).unwrap()), before);
                }
                Op::Remove(m) => {
                    prop_assert_eq!(z.remove(&[m]), model.remove(&vec![m]));
                }
            }
            prop_assert!(z.is_consistent());
            prop_assert_eq!(z.len(), model.len());
        }
        // Ascending score, then member; ranks are positions in that order.
        let order: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        for pair in order.windows(2) {
            let ((m1, s1), (m2, s2)) = (&pair[0], &pair[1]);
            prop_assert!(s1 < s2 || (s1 == s2 && m1 < m2), "{:?} before {:?}", pair[0], pair[1]);
        }
        for (i, (m, s)) in order.iter().enumerate() {
            prop_assert_eq!(z.rank(m), Some(i));
            prop_assert_eq!(z.score(m), Some(*s));
            prop_assert_eq!(model.get(m).map(|s| s.to_bits()), Some(s.to_bits()));
        }
        let in_range = z.range_by_score(Bound::Excluded(-1.0), Bound::Included(1.0)).count();
        let expected = order.iter().filter(|(_, s)| *s > -1.0 && *s <= 1.0).count();
        prop_assert_eq!(in_range, expected);
    }
}
