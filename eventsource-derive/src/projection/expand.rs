//! The tokens `#[projection]` generates besides the block.

use super::{Handler, Mode, ProjectionDef};
use crate::event_checks::{self, CheckedHandler, type_text};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// `impl Projection` (or, in a mode, `SqliteProjection` or `PostgresProjection`): `NAME`,
/// `EVENT_TYPES` in handler order, and `handle` (`handle_in`), an if-chain on the stored
/// event type that decodes the payload only for a handled type.
pub(super) fn generate(def: &ProjectionDef) -> TokenStream {
    // Every use of an event's traits goes through `ProjectedEvent`, at the user's event
    // type: a type that is not an event is then reported once, there.
    let projected: Vec<_> = def
        .handlers
        .iter()
        .map(|h| {
            let event = h.event;
            quote_spanned!(event.span()=> <#event as ::eventsource::__private::ProjectedEvent>)
        })
        .collect();
    let arms = def.handlers.iter().zip(&projected).map(|(h, projected)| {
        let call = call(h);
        quote! {
            if #projected::reads(&envelope.event_type) {
                let decoded = #projected::decode_projected(envelope)?;
                #call
            }
        }
    });
    let chain = quote! {
        #( #arms )else* else {
            ::core::result::Result::Ok(())
        }
    };
    let event_types = crate::names::event_types(&projected);
    let projection = match def.mode {
        Mode::Plain => {
            let body = quote!(::std::boxed::Box::pin(async move { #chain }));
            projection_impl(def, event_types, quote!(envelope), body)
        }
        Mode::Sqlite => {
            let clear = def.clear.as_ref().map(|method| {
                let outcome = quote_spanned!(method.span()=> outcome);
                quote! {
                    let #outcome = Self::#method(self, tx);
                    ::eventsource::__private::HandlerOutcome::into_outcome(#outcome)
                }
            });
            sqlite_impl(def, event_types, chain, clear)
        }
        Mode::Postgres => {
            let handle = quote!(::std::boxed::Box::pin(async move { #chain }));
            let clear = def.clear.as_ref().map(postgres_clear);
            postgres_impl(def, event_types, handle, clear)
        }
    };
    let checks = name_checks(def);
    quote!(#projection #checks)
}

/// `impl Projection for` the block's type, with `EVENT_TYPES = event_types` and
/// `handle(&mut self, envelope) { body }`.
fn projection_impl(
    def: &ProjectionDef,
    event_types: TokenStream,
    envelope: TokenStream,
    body: TokenStream,
) -> TokenStream {
    let self_ty = &def.block.self_ty;
    let name = &def.name;
    quote! {
        #[automatically_derived]
        impl ::eventsource::Projection for #self_ty {
            const NAME: &'static str = #name;
            const EVENT_TYPES: &'static [&'static str] = #event_types;

            fn handle<'a>(
                &'a mut self,
                #envelope: &'a ::eventsource::RecordedEvent,
            ) -> ::eventsource::__private::BoxFuture<
                'a,
                ::core::result::Result<(), ::eventsource::__private::HandleError>,
            > {
                #body
            }
        }
    }
}

/// `impl SqliteProjection for` the block's type: `handle_in` runs `chain` (or, when it is
/// empty, does nothing), `clear` runs `clear` (or does nothing).
fn sqlite_impl(
    def: &ProjectionDef,
    event_types: TokenStream,
    chain: TokenStream,
    clear: Option<TokenStream>,
) -> TokenStream {
    let self_ty = &def.block.self_ty;
    let name = &def.name;
    let (envelope_param, tx_param, handle_body) = if chain.is_empty() {
        (quote!(_), quote!(_), quote!(::core::result::Result::Ok(())))
    } else {
        (quote!(envelope), quote!(tx), chain)
    };
    let (clear_param, clear_body) = match clear {
        Some(body) => (quote!(tx), body),
        None => (quote!(_), quote!(::core::result::Result::Ok(()))),
    };
    let imp = quote! {
        #[automatically_derived]
        impl ::eventsource::__private::SqliteProjection for #self_ty {
            const NAME: &'static str = #name;
            const EVENT_TYPES: &'static [&'static str] = #event_types;

            fn handle_in(
                &mut self,
                #envelope_param: &::eventsource::RecordedEvent,
                #tx_param: &::eventsource::__private::rusqlite::Transaction<'_>,
            ) -> ::core::result::Result<(), ::eventsource::__private::HandleError> {
                #handle_body
            }

            fn clear(
                &mut self,
                #clear_param: &::eventsource::__private::rusqlite::Transaction<'_>,
            ) -> ::core::result::Result<(), ::eventsource::__private::HandleError> {
                #clear_body
            }
        }
    };
    gated(
        def,
        quote!(::eventsource::__private::sqlite_projection!),
        imp,
    )
}

/// `impl PostgresProjection for` the block's type: `handle_in` returns `handle` (or, when
/// it is empty, a future doing nothing), `clear` the future `clear` (or one doing nothing).
fn postgres_impl(
    def: &ProjectionDef,
    event_types: TokenStream,
    handle: TokenStream,
    clear: Option<TokenStream>,
) -> TokenStream {
    let self_ty = &def.block.self_ty;
    let name = &def.name;
    let nothing = quote!(::std::boxed::Box::pin(async {
        ::core::result::Result::Ok(())
    }));
    let (envelope_param, tx_param, handle) = if handle.is_empty() {
        (quote!(_), quote!(_), nothing.clone())
    } else {
        (quote!(envelope), quote!(tx), handle)
    };
    let (clear_param, clear) = match clear {
        Some(body) => (quote!(tx), body),
        None => (quote!(_), nothing),
    };
    let imp = quote! {
        #[automatically_derived]
        impl ::eventsource::__private::PostgresProjection for #self_ty {
            const NAME: &'static str = #name;
            const EVENT_TYPES: &'static [&'static str] = #event_types;

            fn handle_in<'a>(
                &'a mut self,
                #envelope_param: &'a ::eventsource::RecordedEvent,
                #tx_param: &'a ::eventsource::__private::tokio_postgres::Transaction<'_>,
            ) -> ::eventsource::__private::BoxFuture<
                'a,
                ::core::result::Result<(), ::eventsource::__private::HandleError>,
            > {
                #handle
            }

            fn clear<'a>(
                &'a mut self,
                #clear_param: &'a ::eventsource::__private::tokio_postgres::Transaction<'_>,
            ) -> ::eventsource::__private::BoxFuture<
                'a,
                ::core::result::Result<(), ::eventsource::__private::HandleError>,
            > {
                #clear
            }
        }
    };
    gated(
        def,
        quote!(::eventsource::__private::postgres_projection!),
        imp,
    )
}

/// The future of a PostgreSQL projection's `clear`: the named method's outcome, awaited
/// first when it is a future (the method is `async`, or returns one). The macro does not
/// see the method (it is in another `impl` block), so the choice is made by the types:
/// method resolution picks `ViaFuture` for a future (by value) before `ViaOutcome` (by
/// `&mut`, one autoref later) for anything else.
fn postgres_clear(method: &syn::Ident) -> TokenStream {
    let outcome = quote_spanned!(method.span()=> outcome);
    quote! {
        ::std::boxed::Box::pin(async move {
            struct Outcome<T>(::core::option::Option<T>);
            trait ViaFuture {
                fn into_result(
                    self,
                ) -> impl ::core::future::Future<
                    Output = ::core::result::Result<(), ::eventsource::__private::HandleError>,
                >;
            }
            impl<F> ViaFuture for Outcome<F>
            where
                F: ::core::future::Future,
                F::Output: ::eventsource::__private::HandlerOutcome,
            {
                async fn into_result(
                    self,
                ) -> ::core::result::Result<(), ::eventsource::__private::HandleError> {
                    match self.0 {
                        ::core::option::Option::Some(future) => {
                            ::eventsource::__private::HandlerOutcome::into_outcome(future.await)
                        }
                        ::core::option::Option::None => ::core::result::Result::Ok(()),
                    }
                }
            }
            trait ViaOutcome {
                fn into_result(
                    self,
                ) -> ::core::future::Ready<
                    ::core::result::Result<(), ::eventsource::__private::HandleError>,
                >;
            }
            impl<T: ::eventsource::__private::HandlerOutcome> ViaOutcome for &mut Outcome<T> {
                fn into_result(
                    self,
                ) -> ::core::future::Ready<
                    ::core::result::Result<(), ::eventsource::__private::HandleError>,
                > {
                    ::core::future::ready(match self.0.take() {
                        ::core::option::Option::Some(outcome) => {
                            ::eventsource::__private::HandlerOutcome::into_outcome(outcome)
                        }
                        ::core::option::Option::None => ::core::result::Result::Ok(()),
                    })
                }
            }
            let #outcome = Self::#method(self, tx);
            // The wrapper is gone before the `await`: only the future is kept across it.
            let future = {
                let mut outcome = Outcome(::core::option::Option::Some(outcome));
                outcome.into_result()
            };
            future.await
        })
    }
}

/// The handler's call on the decoded event, its outcome as a `Result`. The envelope
/// argument carries the span of the handler's envelope type, the transaction that of its
/// transaction type and the outcome that of its return type, so that a wrong one is
/// reported there.
fn call(h: &Handler) -> TokenStream {
    let method = h.method;
    let envelope = h.envelope.map(|ty| quote_spanned!(ty.span()=> , envelope));
    let tx = h.tx.map(|ty| quote_spanned!(ty.span()=> , tx));
    let awaited = h.is_async.then(|| quote!(.await));
    let span = h.output.map_or_else(|| h.method.span(), |ty| ty.span());
    let outcome = quote_spanned!(span=> outcome);
    quote! {
        let #outcome = Self::#method(self, &decoded #envelope #tx) #awaited;
        ::eventsource::__private::HandlerOutcome::into_outcome(#outcome)
    }
}

/// The stored-name checks of the handlers' events (see [`event_checks`]).
fn name_checks(def: &ProjectionDef) -> TokenStream {
    let handlers: Vec<_> = def
        .handlers
        .iter()
        .map(|h| CheckedHandler {
            method: h.method,
            event: h.event,
        })
        .collect();
    let events = quote!(::eventsource::__private::ProjectedEvent);
    let self_ty = type_text(&def.block.self_ty);
    let duplicates = event_checks::duplicate_names(&handlers, &events, |earlier, later| {
        format!(
            "events `{}` (handler `{}`) and `{}` (handler `{}`) of projection `{self_ty}` have the same stored name, so `{}` would never run; give one of them a distinct #[event(name = \"...\")]",
            type_text(earlier.event),
            earlier.method,
            type_text(later.event),
            later.method,
            later.method,
        )
    });
    let shapes = event_checks::older_shapes(&handlers, &events);
    quote!(#duplicates #shapes)
}

/// When errors were reported: the mode's trait for the type, handling nothing, so that the
/// errors are the only ones where the type is used as a projection.
pub(super) fn stand_in(def: &ProjectionDef) -> TokenStream {
    match def.mode {
        Mode::Plain => {
            let body = quote!(::std::boxed::Box::pin(async {
                ::core::result::Result::Ok(())
            }));
            projection_impl(def, quote!(&[]), quote!(_), body)
        }
        Mode::Sqlite => sqlite_impl(def, quote!(&[]), TokenStream::new(), None),
        Mode::Postgres => postgres_impl(def, quote!(&[]), TokenStream::new(), None),
    }
}

/// `imp` handed to `gate`, the runtime's macro that keeps it when the mode's feature is
/// on and replaces it with one error otherwise, at the mode's flag.
fn gated(def: &ProjectionDef, gate: TokenStream, imp: TokenStream) -> TokenStream {
    let gate = crate::ctxt::respan(gate, def.flag);
    quote!(#gate { #imp })
}
