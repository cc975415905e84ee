using System.Reflection;

namespace Commerce.BuildingBlocks.Data;

/// <summary>A module known to the composition: its schema (named after it) and the assembly holding its
/// handlers, validators and embedded <c>Migrations/NNNN_name.sql</c> files.</summary>
public sealed record CommerceModule(string Schema, Assembly Assembly);
