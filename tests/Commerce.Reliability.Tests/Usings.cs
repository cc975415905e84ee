global using System.Net.Http.Json;

// Every test here starts host processes (and some a PostgreSQL server) and measures how they behave: run the classes
// one after another so they do not compete with each other for the machine's cores and skew the figures.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
