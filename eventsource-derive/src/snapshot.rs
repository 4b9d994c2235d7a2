//! `snapshot(version = N, with = T)` inside `#[aggregate(...)]`: parse it, check it, and
//! expand the `Snapshottable` impl.

use crate::ctxt::{Ctxt, SeenKeys};
use crate::event::parse_version;
use crate::symbol::{SNAPSHOT, SNAPSHOT_KEYS, VERSION, WITH};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

/// What `snapshot(...)` says.
pub struct SnapshotDef {
    /// The `snapshot` key, for spans.
    key: syn::Path,
    version: u32,
    /// The stored form, when it is not the aggregate itself.
    with: Option<syn::Type>,
}

/// Parses `snapshot(version = N)` or `snapshot(version = N, with = Type)`.
pub fn parse(meta: &syn::meta::ParseNestedMeta) -> syn::Result<SnapshotDef> {
    let missing_version = || {
        syn::Error::new_spanned(
            &meta.path,
            "missing `version` in `snapshot(...)`: write `snapshot(version = 1)`, and raise it whenever the stored state changes",
        )
    };
    if !meta.input.peek(syn::token::Paren) {
        return Err(missing_version());
    }
    let fork = meta.input.fork();
    let content;
    syn::parenthesized!(content in fork);
    if content.is_empty() {
        return Err(missing_version());
    }
    let mut version = None;
    let mut with = None;
    let mut seen = SeenKeys::new(SNAPSHOT, SNAPSHOT_KEYS);
    // Every mistake inside `snapshot(...)` is reported, each entry on its own.
    let mut cx = Ctxt::default();
    meta.parse_nested_meta(|inner| {
        let result = (|| {
            match seen.check(&inner.path)?.as_str() {
                VERSION => version = Some(parse_version(&inner)?),
                WITH => with = Some(inner.value()?.parse::<syn::Type>()?),
                _ => unreachable!("SeenKeys admits only SNAPSHOT_KEYS"),
            }
            Ok(())
        })();
        cx.recover(inner.input, result)
    })?;
    if let Some(error) = cx.into_error() {
        return Err(error);
    }
    let Some(version) = version else {
        return Err(missing_version());
    };
    Ok(SnapshotDef {
        key: meta.path.clone(),
        version,
        with,
    })
}

/// `with` names a type other than the aggregate: storing the aggregate itself is what
/// leaving `with` out means, and `From<&Task> for Task` cannot be written.
pub fn validate(def: &SnapshotDef, aggregate: &syn::Ident, cx: &mut Ctxt) {
    let Some(with) = &def.with else { return };
    let names_self = match with {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.is_ident("Self") || p.path.is_ident(aggregate)
        }
        _ => false,
    };
    if names_self {
        cx.error_spanned(
            with,
            format!(
                "`with` names the type stored instead of `{aggregate}`; to store `{aggregate}` itself, leave `with` out"
            ),
        );
    }
}

/// `impl Snapshottable`: serialise the aggregate (or the `with` type made from it) and
/// restore it. Trait-bound errors land on the user's `snapshot` key or `with` type.
pub fn expand(def: &SnapshotDef, aggregate: &syn::Ident) -> TokenStream {
    let version = def.version;
    let private = quote!(::eventsource::__private);
    // `Self` spanned at the user's `snapshot` key or `with` type: a missing serde derive or
    // `From` impl is reported there, once (`SnapshotState` stands for both serde traits,
    // `SnapshotForm` for both conversions).
    let (stored, to_stored, restore) = match &def.with {
        None => (
            quote_spanned!(def.key.span()=> Self),
            quote!(self),
            quote!(snapshot),
        ),
        Some(with) => {
            let span = with.span();
            (
                with.to_token_stream(),
                quote_spanned!(span=> &<#with as #private::SnapshotForm<Self>>::take(self)),
                quote_spanned!(span=> <#with as #private::SnapshotForm<Self>>::restore(snapshot)),
            )
        }
    };
    let doc = format!(" Snapshot schema version {version}.");
    quote! {
        #[automatically_derived]
        impl ::eventsource::__private::Snapshottable for #aggregate {
            #[doc = #doc]
            const SNAPSHOT_VERSION: u32 = #version;
            type Snapshot = #stored;

            fn serialize_snapshot<__S: #private::serde::Serializer>(
                &self,
                serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                #private::serialize_snapshot::<Self, __S>(#to_stored, serializer)
            }

            fn from_snapshot(snapshot: <Self as ::eventsource::__private::Snapshottable>::Snapshot) -> Self {
                #restore
            }
        }
    }
}
