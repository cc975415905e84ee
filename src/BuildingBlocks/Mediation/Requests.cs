using MediatR;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>A state-changing request: runs in one transaction, may record outbox events.</summary>
public interface ICommand<TResponse> : IRequest<TResponse>, ICommandMarker;

/// <summary>A read: gets an open connection, no transaction.</summary>
public interface IQuery<TResponse> : IRequest<TResponse>;

public interface ICommandMarker;

/// <summary>
/// A command whose work spans several transactions with an outside call between them (PayOrder calls the
/// payment gateway with no transaction open). The pipeline opens nothing for it; each of its steps is an
/// <see cref="ICommand{TResponse}"/> sent through the mediator and gets its own transaction.
/// </summary>
public interface IMultiStepCommand<TResponse> : IRequest<TResponse>, IMultiStepMarker;

public interface IMultiStepMarker;

/// <summary>
/// A request whose handler opens the connection itself (<c>DbSession.OpenAsync</c>), once it needs the database: an
/// answer from memory (a sold-out campaign, a cached read) then never waits for a pooled connection. The pipeline
/// opens no connection for it and closes the one the handler opened.
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
