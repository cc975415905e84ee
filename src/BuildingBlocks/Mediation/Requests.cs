using MediatR;

namespace Commerce.BuildingBlocks.Mediation;

// The three kinds of request, and what the pipeline gives each (RequestKindTests pins this table):
//
// | kind                         | validation | connection                  | transaction               | Idempotency-Key        | outbox                  |
// |------------------------------|------------|-----------------------------|---------------------------|------------------------|-------------------------|
// | IQuery<T>                    | yes        | opened before the handler¹  | none                      | -                      | -                       |
// | ICommand<T>                  | yes        | opened                      | one; retried on deadlock  | if IIdempotentCommand  | written in the same one |
// | IMultiStepCommand<T>         | yes        | none; closed when it ends   | none: each step commits   | on its ICommand steps  | on its ICommand steps   |
//
// ¹ IOpensConnectionWhenNeeded: the handler opens it only if it needs the database (answers from memory wait for no
//   pooled connection). A request sent from inside a command's handler joins that command's transaction.

/// <summary>A state-changing request: runs in one transaction, may record outbox events. Most features.</summary>
public interface ICommand<TResponse> : IRequest<TResponse>, ICommandMarker;

/// <summary>A read: gets an open connection, no transaction.</summary>
public interface IQuery<TResponse> : IRequest<TResponse>;

public interface ICommandMarker;

/// <summary>
/// A command that commits its own steps: the pipeline validates it and opens nothing, and closes whatever connection
/// the handler left open when it ends. A step is either an <see cref="ICommand{TResponse}"/> sent through the mediator
/// (its own transaction, idempotency and outbox: PayOrder and RefundOrder around the gateway call) or one statement on
/// the session that commits by itself (Login's attempt counter, committed before the password is checked;
/// IssueCoupon's single-statement claim, which keeps the campaign row locked only inside the server).
/// </summary>
public interface IMultiStepCommand<TResponse> : IRequest<TResponse>, IMultiStepMarker;

public interface IMultiStepMarker;

/// <summary>
/// A query whose handler opens the connection itself (<c>DbSession.OpenAsync</c>), once it needs the database: an
/// answer from memory (a cached read) then never waits for a pooled connection. The pipeline opens no connection
/// for it and closes the one the handler opened.
/// </summary>
public interface IOpensConnectionWhenNeeded;

/// <summary>
/// A command a client may retry with an <c>Idempotency-Key</c> header. Keys are scoped per member, so
/// two members can never collide or read each other's stored responses.
/// </summary>
public interface IIdempotentCommand
{
    long MemberId { get; }

    string? IdempotencyKey { get; }
}
