using MediatR;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>A state-changing request: runs in one transaction, may record outbox events.</summary>
public interface ICommand<TResponse> : IRequest<TResponse>, ICommandMarker;

/// <summary>A read: gets an open connection, no transaction.</summary>
public interface IQuery<TResponse> : IRequest<TResponse>;

public interface ICommandMarker;

/// <summary>
/// A command a client may retry with an <c>Idempotency-Key</c> header. Keys are scoped per member, so
/// two members can never collide or read each other's stored responses.
/// </summary>
public interface IIdempotentCommand
{
    long MemberId { get; }

    string? IdempotencyKey { get; }
}
