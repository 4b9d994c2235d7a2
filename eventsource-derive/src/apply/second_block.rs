//! A second `#[apply]` block for one aggregate: one error at it, not the duplicate enum and
//! impls the two blocks would otherwise each declare.
//!
//! Two invocations of a macro cannot see each other, so the later one finds the earlier
//! one in the source file (`Span::local_file`, stable since Rust 1.88): the `#[apply]` blocks
//! of the same type in the same scope (module or function body), in file order. When the
//! file cannot be read or the block cannot be told apart from another (a block written by
//! a macro, two identical blocks), nothing is found and the compiler reports the duplicates
//! itself.

use quote::ToTokens;

/// Whether `block` (as the macro received it, without its `#[apply]` attribute) comes after
/// another `#[apply]` block of `aggregate` in the same scope of the file being compiled.
pub(super) fn is_second(block: &syn::ItemImpl, aggregate: &syn::Ident) -> bool {
    let Some(path) = proc_macro::Span::call_site().local_file() else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(file) = syn::parse_file(&text) else {
        return false;
    };
    is_second_in(&file, block, aggregate)
}

/// [`is_second`] on a parsed file.
fn is_second_in(file: &syn::File, block: &syn::ItemImpl, aggregate: &syn::Ident) -> bool {
    let mut blocks = Vec::new();
    collect(&file.items, &mut Vec::new(), aggregate, &mut blocks);
    let key = block.to_token_stream().to_string();
    let mine: Vec<_> = blocks.iter().filter(|b| b.key == key).collect();
    let [mine] = mine.as_slice() else {
        return false;
    };
    blocks
        .iter()
        .take_while(|b| !std::ptr::eq(*b, *mine))
        .any(|b| b.scope == mine.scope)
}

/// One `#[apply]` block of the aggregate found in the file.
struct Found {
    /// The enclosing modules and functions, outermost first.
    scope: Vec<String>,
    /// The block's tokens without its `#[apply]` attribute, as the macro receives it.
    key: String,
}

fn collect(
    items: &[syn::Item],
    scope: &mut Vec<String>,
    aggregate: &syn::Ident,
    out: &mut Vec<Found>,
) {
    for item in items {
        match item {
            syn::Item::Impl(block)
                if block.trait_.is_none()
                    && block.attrs.iter().any(is_apply)
                    && names(&block.self_ty, aggregate) =>
            {
                let mut received = block.clone();
                if let Some(at) = received.attrs.iter().position(is_apply) {
                    received.attrs.remove(at);
                }
                out.push(Found {
                    scope: scope.clone(),
                    key: received.to_token_stream().to_string(),
                });
            }
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    scope.push(format!("mod {}", module.ident));
                    collect(items, scope, aggregate, out);
                    scope.pop();
                }
            }
            syn::Item::Fn(function) => {
                let items: Vec<syn::Item> = function
                    .block
                    .stmts
                    .iter()
                    .filter_map(|stmt| match stmt {
                        syn::Stmt::Item(item) => Some(item.clone()),
                        _ => None,
                    })
                    .collect();
                scope.push(format!("fn {}", function.sig.ident));
                collect(&items, scope, aggregate, out);
                scope.pop();
            }
            _ => {}
        }
    }
}

/// `#[apply]` or `#[apply(...)]`, by any path (`#[eventsource::apply]`).
fn is_apply(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "apply")
}

/// Whether the type's last path segment is the aggregate's name.
fn names(ty: &syn::Type, aggregate: &syn::Ident) -> bool {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == *aggregate),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_second_in;

    fn check(source: &str, block: &str) -> bool {
        let file: syn::File = syn::parse_str(source).unwrap();
        let block: syn::ItemImpl = syn::parse_str(block).unwrap();
        is_second_in(&file, &block, &syn::parse_str("Task").unwrap())
    }

    const TWO_BLOCKS: &str = "
        #[apply] impl Task { fn created(&mut self, _: &Created) {} }
        #[apply] impl Task { fn renamed(&mut self, _: &Renamed) {} }
    ";

    #[test]
    fn the_later_of_two_blocks_in_one_module_is_the_second() {
        assert!(!check(
            TWO_BLOCKS,
            "impl Task { fn created(&mut self, _: &Created) {} }"
        ));
        assert!(check(
            TWO_BLOCKS,
            "impl Task { fn renamed(&mut self, _: &Renamed) {} }"
        ));
    }

    #[test]
    fn blocks_of_other_scopes_or_types_do_not_count() {
        let source = "
            mod a { #[apply] impl Task { fn created(&mut self, _: &Created) {} } }
            #[apply] impl Board { fn opened(&mut self, _: &Opened) {} }
            fn f() { #[apply] impl Task { fn renamed(&mut self, _: &Renamed) {} } }
            #[apply] impl Task { fn done(&mut self, _: &Done) {} }
        ";
        assert!(!check(
            source,
            "impl Task { fn renamed(&mut self, _: &Renamed) {} }"
        ));
        assert!(!check(
            source,
            "impl Task { fn done(&mut self, _: &Done) {} }"
        ));
    }

    #[test]
    fn a_block_not_in_the_file_or_written_twice_is_not_judged() {
        assert!(!check(
            TWO_BLOCKS,
            "impl Task { fn other(&mut self, _: &Other) {} }"
        ));
        let twice = "
            #[apply] impl Task { fn created(&mut self, _: &Created) {} }
            #[apply] impl Task { fn created(&mut self, _: &Created) {} }
        ";
        assert!(!check(
            twice,
            "impl Task { fn created(&mut self, _: &Created) {} }"
        ));
    }
}
