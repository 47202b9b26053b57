//! Cursor pagination over a set of ids that sort in creation order.

use std::collections::BTreeSet;
use std::ops::Bound;

/// The sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

/// Which page of a list to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items.
    pub limit: usize,
    /// The order of the whole list.
    pub order: Order,
    /// A cursor: the items that come just before this id in `order`.
    pub before: Option<String>,
    /// A cursor: the items that come just after this id in `order`.
    pub after: Option<String>,
}

/// One page of a list, with the cursors of its neighbours.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in the requested order.
    pub data: Vec<T>,
    /// The first item's id when items come before it.
    pub before: Option<String>,
    /// The last item's id when items come after it.
    pub after: Option<String>,
}

/// The ids after `cursor` in display order, nearest first (all ids without a cursor).
fn ids_after<'a>(
    ids: &'a BTreeSet<String>,
    order: Order,
    cursor: Option<&str>,
) -> Box<dyn Iterator<Item = &'a String> + 'a> {
    let bound = cursor.map_or(Bound::Unbounded, Bound::Excluded);
    match order {
        Order::Ascending => Box::new(ids.range::<str, _>((bound, Bound::Unbounded))),
        Order::Descending => Box::new(ids.range::<str, _>((Bound::Unbounded, bound)).rev()),
    }
}

/// The ids before `cursor` in display order, nearest first.
fn ids_before<'a>(
    ids: &'a BTreeSet<String>,
    order: Order,
    cursor: &str,
) -> Box<dyn Iterator<Item = &'a String> + 'a> {
    let reversed = match order {
        Order::Ascending => Order::Descending,
        Order::Descending => Order::Ascending,
    };
    ids_after(ids, reversed, Some(cursor))
}

/// The page of `ids` that `request` asks for, with its neighbours' cursors.
pub(super) fn page_of(ids: &BTreeSet<String>, request: &PageRequest) -> Page<String> {
    let data: Vec<String> = match &request.before {
        Some(cursor) => {
            let mut nearest: Vec<String> = ids_before(ids, request.order, cursor)
                .take(request.limit)
                .cloned()
                .collect();
            nearest.reverse();
            nearest
        }
        None => ids_after(ids, request.order, request.after.as_deref())
            .take(request.limit)
            .cloned()
            .collect(),
    };
    let before = data
        .first()
        .filter(|first| ids_before(ids, request.order, first).next().is_some())
        .cloned();
    let after = data
        .last()
        .filter(|last| ids_after(ids, request.order, Some(last)).next().is_some())
        .cloned();
    Page {
        data,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> BTreeSet<String> {
        (1..=n).map(|i| format!("f{i:02}")).collect()
    }

    fn request(order: Order, before: Option<&str>, after: Option<&str>) -> PageRequest {
        PageRequest {
            limit: 2,
            order,
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_descending_page_is_the_newest_with_only_an_after_cursor() {
        let page = page_of(&ids(5), &request(Order::Descending, None, None));
        assert_eq!(page.data, ["f05", "f04"]);
        assert_eq!(page.before, None);
        assert_eq!(page.after.as_deref(), Some("f04"));
    }

    #[test]
    fn paging_after_walks_forward_to_a_last_page_without_an_after_cursor() {
        let set = ids(5);
        let second = page_of(&set, &request(Order::Descending, None, Some("f04")));
        assert_eq!(second.data, ["f03", "f02"]);
        assert_eq!(second.before.as_deref(), Some("f03"));
        let last = page_of(&set, &request(Order::Descending, None, Some("f02")));
        assert_eq!(last.data, ["f01"]);
        assert_eq!(last.after, None);
        assert_eq!(last.before.as_deref(), Some("f01"));
    }

    #[test]
    fn paging_before_returns_the_nearest_items_in_display_order() {
        let page = page_of(&ids(5), &request(Order::Descending, Some("f02"), None));
        assert_eq!(page.data, ["f04", "f03"]);
        assert_eq!(page.before.as_deref(), Some("f04"));
        assert_eq!(page.after.as_deref(), Some("f03"));
    }

    #[test]
    fn ascending_order_lists_oldest_first() {
        let page = page_of(&ids(5), &request(Order::Ascending, None, Some("f02")));
        assert_eq!(page.data, ["f03", "f04"]);
    }

    #[test]
    fn a_cursor_that_no_longer_exists_still_pages_by_position() {
        let mut set = ids(5);
        set.remove("f03");
        let page = page_of(&set, &request(Order::Descending, None, Some("f03")));
        assert_eq!(page.data, ["f02", "f01"]);
    }
}
