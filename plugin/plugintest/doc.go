// Package plugintest holds fakes of the plugin interfaces for tests: a
// fake Clock that tests advance by hand, a Gateway whose calls are
// function fields, and an in-memory Journal that can be told to fail.
package plugintest
