package config

// Repeats is repeats, for the external tests.
var Repeats = repeats
