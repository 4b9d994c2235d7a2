//! Collects every error a macro finds, so one build reports them all.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::BTreeSet;
use std::fmt::Display;
use syn::parse::ParseStream;
use syn::spanned::Spanned;

#[derive(Default)]
pub struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(error),
            None => self.errors = Some(error),
        }
    }

    pub fn error_spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records the error of one `key = value` entry of an attribute and skips the rest of
    /// that entry, so that the entries after it are still checked.
    pub fn recover(&mut self, input: ParseStream, result: syn::Result<()>) -> syn::Result<()> {
        if let Err(error) = result {
            self.push(error);
            skip_entry(input)?;
        }
        Ok(())
    }

    /// The collected errors combined into one, if any.
    pub fn into_error(self) -> Option<syn::Error> {
        self.errors
    }

    pub fn has_errors(&self) -> bool {
        self.errors.is_some()
    }

    /// The collected errors as `compile_error!` invocations (empty when there are none).
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

/// Remembers which keys of one attribute were seen, to report a key given twice.
pub struct SeenKeys {
    attribute: &'static str,
    allowed: &'static [&'static str],
    seen: BTreeSet<String>,
}

impl SeenKeys {
    pub fn new(attribute: &'static str, allowed: &'static [&'static str]) -> Self {
        SeenKeys {
            attribute,
            allowed,
            seen: BTreeSet::new(),
        }
    }

    /// Checks that `path` is a known key seen for the first time; returns its name.
    pub fn check(&mut self, path: &syn::Path) -> syn::Result<String> {
        let key = path_text(path);
        if !self.allowed.contains(&key.as_str()) {
            let expected = self
                .allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(syn::Error::new_spanned(
                path,
                format!(
                    "unknown `{}` attribute `{key}`; expected one of {expected}",
                    self.attribute
                ),
            ));
        }
        if !self.seen.insert(key.clone()) {
            return Err(syn::Error::new_spanned(
                path,
                format!("duplicate `{}` attribute `{key}`", self.attribute),
            ));
        }
        Ok(key)
    }
}

/// Skips tokens up to the `,` that ends the current entry (or the end of the input).
fn skip_entry(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The input after `key =`; when the `=` is missing, an error at the key showing
/// `example`.
pub fn value<'a>(
    meta: &syn::meta::ParseNestedMeta<'a>,
    example: &str,
) -> syn::Result<ParseStream<'a>> {
    if meta.input.peek(syn::Token![=]) {
        return meta.value();
    }
    let key = path_text(&meta.path);
    Err(syn::Error::new_spanned(
        &meta.path,
        format!("`{key}` needs a value, as in `{example}`"),
    ))
}

/// Parses `= "text"` after a key: a non-empty string literal.
pub fn parse_name(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::LitStr> {
    parse_name_as(meta, "name = \"TaskCreated\"")
}

/// [`parse_name`], with errors showing `example` (`name = "..."`) as the right form.
pub fn parse_name_as(meta: &syn::meta::ParseNestedMeta, example: &str) -> syn::Result<syn::LitStr> {
    let expr: syn::Expr = value(meta, example)?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) if s.value().trim().is_empty() => {
            Err(syn::Error::new_spanned(s, "the name must not be empty"))
        }
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string literal, as in `{example}`"),
        )),
    }
}

/// A path as the user wrote it, without the spaces of its token form: `v1::Created`.
pub fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// `tokens` with every token (nested ones too) given `span`, so that an error the compiler
/// finds anywhere in them is reported at `span`.
pub fn respan(tokens: impl ToTokens, span: Span) -> TokenStream {
    tokens
        .into_token_stream()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// An attribute macro's item parsed as an `impl` block. Anything else is handed back
/// unchanged, with the errors collected so far and `message` at its keyword (or, for tokens
/// that are not even an item, the parse error).
pub fn impl_block(
    item: TokenStream,
    message: &str,
    cx: &mut Ctxt,
) -> Result<syn::ItemImpl, TokenStream> {
    let error = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Impl(block)) => return Ok(block),
        Ok(other) => syn::Error::new_spanned(item_keyword(&other), message),
        Err(error) => error,
    };
    cx.push(error);
    let errors = std::mem::take(cx).into_compile_errors();
    Err(quote::quote!(#item #errors))
}

/// The keyword that starts `item` (`union`, `fn`, ...), where "this kind of item is not
/// supported" errors point.
pub fn item_keyword(item: &syn::Item) -> TokenStream {
    match item {
        syn::Item::Struct(s) => s.struct_token.to_token_stream(),
        syn::Item::Enum(e) => e.enum_token.to_token_stream(),
        syn::Item::Union(u) => u.union_token.to_token_stream(),
        syn::Item::Fn(f) => f.sig.fn_token.to_token_stream(),
        syn::Item::Trait(t) => t.trait_token.to_token_stream(),
        syn::Item::Impl(i) => i.impl_token.to_token_stream(),
        syn::Item::Type(t) => t.type_token.to_token_stream(),
        syn::Item::Mod(m) => m.mod_token.to_token_stream(),
        syn::Item::Const(c) => c.const_token.to_token_stream(),
        syn::Item::Static(s) => s.static_token.to_token_stream(),
        syn::Item::Use(u) => u.use_token.to_token_stream(),
        other => {
            let span = other.span();
            quote::quote_spanned!(span=> item)
        }
    }
}

/// Parses `= "path"` after `crate`: where the expansion finds the `eventsource` crate
/// when the dependency is renamed (`es = { package = "eventsource", ... }`).
pub fn parse_crate(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::Path> {
    const EXAMPLE: &str = "crate = \"es\"";
    let expr: syn::Expr = value(meta, EXAMPLE)?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => s.parse::<syn::Path>().map_err(|_| {
            syn::Error::new_spanned(
                &s,
                format!("expected the path of the `eventsource` crate, as in `{EXAMPLE}`"),
            )
        }),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string literal, as in `{EXAMPLE}`"),
        )),
    }
}

/// The expansion `tokens` with every `::eventsource` path start replaced by `krate` (the
/// `crate = "..."` attribute), each replacement at the span of the tokens it replaces.
/// Without `krate` the tokens are returned unchanged.
pub fn with_crate(tokens: TokenStream, krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(krate) => replace_crate(tokens, &crate_path(krate)),
        None => tokens,
    }
}

/// The path `crate = "..."` gives, as the expansion writes it: `es` as `::es`, as
/// `::eventsource` was (a global path is never an `unused_qualifications` warning and no
/// user item named `es` shadows it); `crate::...`, `self::...` and `super::...` as given.
pub fn crate_path(krate: &syn::Path) -> TokenStream {
    let relative = ["crate", "self", "super", "Self"];
    let global = krate.leading_colon.is_none()
        && !krate
            .segments
            .first()
            .is_some_and(|first| relative.iter().any(|r| first.ident == r));
    match global {
        true => quote::quote!(::#krate),
        false => krate.to_token_stream(),
    }
}

fn replace_crate(tokens: TokenStream, krate: &TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let starts_path = match &tokens[i..] {
            [
                TokenTree::Punct(a),
                TokenTree::Punct(b),
                TokenTree::Ident(name),
                ..,
            ] => {
                a.as_char() == ':'
                    && a.spacing() == proc_macro2::Spacing::Joint
                    && b.as_char() == ':'
                    && name == "eventsource"
                    && !continues_path(&out)
            }
            _ => false,
        };
        if starts_path {
            out.extend(respan(krate, tokens[i + 2].span()));
            i += 3;
            continue;
        }
        out.push(match &tokens[i] {
            TokenTree::Group(g) => {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), replace_crate(g.stream(), krate));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// Whether `::` after `before` continues a path (`a::eventsource`, a module of the user's)
/// rather than starting one (`impl ::eventsource::...`, `&'a ::eventsource::...`).
fn continues_path(before: &[TokenTree]) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "box", "break", "const", "dyn", "else", "for", "if", "impl", "in", "let", "match",
        "move", "mut", "ref", "return", "static", "type", "unsafe", "where", "yield",
    ];
    match before {
        [.., TokenTree::Punct(tick), TokenTree::Ident(_)] if tick.as_char() == '\'' => false,
        [.., TokenTree::Ident(ident)] => !KEYWORDS.iter().any(|k| ident == k),
        _ => false,
    }
}
