//! The tokens `#[event]` generates: the derives, the `DomainEvent` impl and, unless the
//! event is retired, `Emittable`.

use super::chain;
use super::parse::EventArgs;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// The event as the expansion sees it.
pub(super) struct EventDef<'a> {
    pub(super) item: &'a syn::Item,
    pub(super) ident: &'a syn::Ident,
    pub(super) name: &'a str,
    pub(super) args: &'a EventArgs,
    /// The trait names the item derives already.
    pub(super) derived: &'a [String],
    /// Whether `upcast_from(...)` passed validation and is expanded.
    pub(super) chain: bool,
}

pub(super) fn generate(def: &EventDef) -> TokenStream {
    let EventDef {
        item, ident, name, ..
    } = def;
    let args = def.args;
    let version = match (&args.version, &args.upcast_from) {
        // `upcast_from` at version 1, already reported: stand in the version its older
        // shapes imply, so that their `upcast_to` checks report nothing more.
        (None | Some((1, _)), Some((_, shapes))) if !shapes.is_empty() => shapes.len() as u32 + 1,
        (Some((version, _)), _) => *version,
        (None, _) => 1,
    };
    let mut extra = Vec::new();
    for (trait_name, path) in [
        (
            "Serialize",
            quote!(::eventsource::__private::serde::Serialize),
        ),
        (
            "Deserialize",
            quote!(::eventsource::__private::serde::Deserialize),
        ),
        ("Debug", quote!(::core::fmt::Debug)),
        ("Clone", quote!(::core::clone::Clone)),
        ("PartialEq", quote!(::core::cmp::PartialEq)),
    ] {
        if !def.derived.iter().any(|d| d == trait_name) {
            extra.push(path);
        }
    }
    let derive = (!extra.is_empty()).then(|| quote!(#[derive( #(#extra),* )]));

    let aliases: Vec<_> = args
        .aliases
        .iter()
        .flat_map(|(_, list)| list.iter())
        .collect();
    let retired = args.retired.is_some();
    let mut doc = format!(" Stored as `{name}`, schema version {version}.");
    if !aliases.is_empty() {
        let names: Vec<_> = aliases.iter().map(|a| format!("`{}`", a.value())).collect();
        doc.push_str(&format!(" Also read under {}.", names.join(", ")));
    }
    if retired {
        doc.push_str(" Retired: read, never written.");
    }
    if let Some((_, next)) = &args.upcast_to {
        doc.push_str(&format!(
            " An older shape, read and upcast to `{}`, never written.",
            crate::ctxt::path_text(next)
        ));
    }
    let aliases_const = (!aliases.is_empty())
        .then(|| quote!(const ALIASES: &'static [&'static str] = &[#( #aliases ),*];));
    let retired_const = retired.then(|| {
        quote!(
            const RETIRED: bool = true;
        )
    });
    let older_const = args.upcast_to.is_some().then(|| {
        quote!(
            const OLDER_SHAPE: bool = true;
        )
    });
    let json = args.upcast_json.as_ref().map(|(_, function)| {
        // Through a function pointer spanned at the user's path: a function of another
        // signature is one error, there.
        let upcaster = quote_spanned! {function.span()=>
            let upcaster: for<'__e> fn(
                &mut ::eventsource::__private::JsonEvent<'__e>,
            ) -> ::core::result::Result<(), ::eventsource::__private::BoxError> = #function;
        };
        quote! {
            const UPCASTS_JSON: bool = true;
            fn upcast_json(
                event: &mut ::eventsource::__private::JsonEvent<'_>,
            ) -> ::core::result::Result<(), ::eventsource::__private::BoxError> {
                #upcaster
                upcaster(event)
            }
        }
    });
    let shapes = args
        .upcast_from
        .as_ref()
        .filter(|_| def.chain)
        .map(|(_, shapes)| shapes.as_slice());
    let upcast = shapes.map(chain::upcast_method);
    let checks = shapes.map(|shapes| chain::shape_checks(ident, name, version, shapes));
    let older_shape = args
        .upcast_to
        .as_ref()
        .filter(|(_, next)| !next.is_ident(*ident))
        .map(|(_, next)| chain::older_shape(ident, next));
    let chain_end = args.upcast_to.is_none().then(|| chain::chain_end(ident));
    let emittable = (!retired && args.upcast_to.is_none()).then(|| {
        quote! {
            #[automatically_derived]
            impl ::eventsource::__private::Emittable for #ident {}
        }
    });
    // A string, which `with_crate` does not rewrite: named here from `crate = "..."`.
    let serde_crate = args.krate.as_ref().map_or_else(
        || "::eventsource::__private::serde".to_owned(),
        |krate| {
            let path = crate::ctxt::crate_path(krate).to_string().replace(' ', "");
            format!("{path}::__private::serde")
        },
    );
    quote! {
        #derive
        #[serde(crate = #serde_crate)]
        #item

        #[automatically_derived]
        impl ::eventsource::DomainEvent for #ident {
            #[doc = #doc]
            const EVENT_TYPE: &'static str = #name;
            const SCHEMA_VERSION: u32 = #version;
            #aliases_const
            #retired_const
            #older_const
            #json
            #upcast
        }

        #emittable
        #older_shape
        #chain_end
        #checks
    }
}
