"""The former name of plugin.rpc, kept only so that scripts written against it (the shared peer benchmark's adapter
imports plugin.edge.runtime.open_store) keep working. New code imports plugin.rpc."""
