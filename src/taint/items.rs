//! Data stored in a container's items is not in its attributes. `d.update(x)`, `d.setdefault(k,
//! x)`, `d[k] = x`, `l.append(x)`, `s.add(x)`, `l.extend(xs)`, `l.insert(i, x)` put `x` among the
//! items of `d`; none of them sets an attribute. So data the container did not already hold stays
//! out of `d.data_dir` or `d.history`, while `d["url"]`, `d.get("url")`, iteration, `str(d)` and
//! `d` itself carry it ([`Val::in_items`] lists it).

use std::sync::Arc;

use super::value::{Taint, Val};

/// Whether `list` holds the data of `t` (same origin and field).
fn holds(list: &[Arc<Taint>], t: &Taint) -> bool {
    list.iter().any(|x| x.key == t.key && x.field == t.field)
}

/// `container` after `data` was stored among its items. `by_keyword` is a mutation written with
/// keyword arguments (`obj.update(name=x)`): ORM-style objects set attributes that way, so the
/// data is no longer known to be in items only.
pub fn stored_in_items(container: &Val, data: &Val, by_keyword: bool) -> Val {
    let mut out = container.clone();
    out.absorb(data);
    if by_keyword {
        return out;
    }
    // Data the container already held outside its items may be in its attributes too.
    let outside: Vec<Arc<Taint>> = container
        .all_taints()
        .into_iter()
        .filter(|t| !holds(&container.in_items, t))
        .collect();
    let mut in_items = container.in_items.clone();
    for t in data.all_taints() {
        if !holds(&outside, &t) && !holds(&in_items, &t) && holds(&out.taints, &t) {
            in_items.push(t);
        }
    }
    out.in_items = in_items;
    out
}

/// The value whose attributes are read in `base.attr`: without the data held in its items only.
pub fn attribute_base(mut base: Val) -> Val {
    if base.in_items.is_empty() {
        return base;
    }
    let in_items = std::mem::take(&mut base.in_items);
    base.taints.retain(|t| !holds(&in_items, t));
    base
}

/// The data an attribute of `v` may carry: all of it but what is held in its items only.
pub fn attribute_taints(v: &Val) -> Vec<Arc<Taint>> {
    let mut all = v.all_taints();
    all.retain(|t| !holds(&v.in_items, t));
    all
}

/// `in_items` once `more` was added to the value some other way: that data may be anywhere.
pub fn forget(in_items: &mut Vec<Arc<Taint>>, more: &[Arc<Taint>]) {
    if !in_items.is_empty() {
        in_items.retain(|t| !holds(more, t));
    }
}

/// The data in items only of a value that is either `a` or `b`: what neither side holds
/// elsewhere.
pub fn joined(a: &Val, b: &Val) -> Vec<Arc<Taint>> {
    if a.in_items.is_empty() && b.in_items.is_empty() {
        return Vec::new();
    }
    let only_in_items =
        |v: &Val, all: &[Arc<Taint>], t: &Taint| holds(&v.in_items, t) || !holds(all, t);
    let (all_a, all_b) = (a.all_taints(), b.all_taints());
    let mut out: Vec<Arc<Taint>> = Vec::new();
    for t in a.in_items.iter().chain(b.in_items.iter()) {
        if only_in_items(a, &all_a, t) && only_in_items(b, &all_b, t) && !holds(&out, t) {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(label: &str, at: u32) -> Val {
        let mut t = Taint::request_for_tests(label);
        t.key = (0, at);
        Val::tainted(t)
    }

    fn attribute_labels(v: &Val) -> Vec<String> {
        let base = attribute_base(v.clone());
        base.all_taints()
            .iter()
            .map(|t| t.label.to_string())
            .collect()
    }

    #[test]
    fn data_stored_in_items_is_not_in_attributes() {
        let c = stored_in_items(&Val::clean(), &request("form", 1), false);
        assert!(c.is_tainted());
        assert!(attribute_labels(&c).is_empty());
        assert!(attribute_taints(&c).is_empty());
    }

    #[test]
    fn data_held_before_stays_in_attributes() {
        let before = request("stored", 1);
        let c = stored_in_items(&before, &request("form", 2), false);
        assert_eq!(attribute_labels(&c), vec!["stored"]);
        // The same data stored again is still held outside the items.
        let again = stored_in_items(&before, &request("stored", 1), false);
        assert_eq!(attribute_labels(&again), vec!["stored"]);
    }

    #[test]
    fn keyword_updates_may_set_attributes() {
        let c = stored_in_items(&Val::clean(), &request("form", 1), true);
        assert_eq!(attribute_labels(&c), vec!["form"]);
    }

    #[test]
    fn data_added_any_other_way_ends_the_fact() {
        let mut c = stored_in_items(&Val::clean(), &request("form", 1), false);
        c.absorb(&request("form", 1));
        assert_eq!(attribute_labels(&c), vec!["form"]);
        assert!(c.collapse().in_items.is_empty());
    }

    #[test]
    fn a_merge_keeps_the_fact_only_when_no_side_holds_the_data_elsewhere() {
        let c = stored_in_items(&Val::clean(), &request("form", 1), false);
        assert!(attribute_labels(&c.join(&Val::clean())).is_empty());
        assert!(attribute_labels(&Val::clean().join(&c)).is_empty());
        assert_eq!(attribute_labels(&c.join(&request("form", 1))), vec!["form"]);
    }
}
