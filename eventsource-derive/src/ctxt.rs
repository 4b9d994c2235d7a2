//! Collects every error a macro finds, so one build reports them all.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::collections::BTreeSet;
use std::fmt::Display;

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
        let key = path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_else(|| path.to_token_stream().to_string().replace(' ', ""));
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

/// Parses `= "text"` after a key: a non-empty string literal.
pub fn parse_name(meta: &syn::meta::ParseNestedMeta) -> syn::Result<syn::LitStr> {
    let value = meta.value()?;
    let lit: syn::Lit = value.parse()?;
    match lit {
        syn::Lit::Str(s) if s.value().trim().is_empty() => {
            Err(syn::Error::new_spanned(s, "the name must not be empty"))
        }
        syn::Lit::Str(s) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            "expected a string literal, as in `name = \"TaskCreated\"`",
        )),
    }
}
