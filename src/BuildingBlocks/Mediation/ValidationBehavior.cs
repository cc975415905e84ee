using Commerce.BuildingBlocks.Idempotency;
using FluentValidation;
using MediatR;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>Shape checks before any connection is opened; every field error is reported at once. Besides each request's
/// own validators: no string anywhere in the request may carry a NUL character (<see cref="NulCharacters"/>).</summary>
internal sealed class ValidationBehavior<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
    where TRequest : notnull
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        List<FluentValidation.Results.ValidationFailure>? failures = null;
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(request, cancellationToken);
            if (!result.IsValid)
            {
                (failures ??= []).AddRange(result.Errors);
            }
        }

        failures = NulCharacters.Find(request, failures);
        if (request is IIdempotentCommand { IdempotencyKey: { } key } && !IdempotencyOptions.IsValidKey(key))
        {
            (failures ??= []).Add(new FluentValidation.Results.ValidationFailure("Idempotency-Key",
                $"The Idempotency-Key header must be 1 to {IdempotencyOptions.MaxKeyLength} visible ASCII characters."));
        }

        return failures is null ? await next() : throw new ValidationException(failures);
    }
}
