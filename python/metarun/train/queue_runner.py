"""tf.train.queue_runner: the queue runner names, under the module TF also exports them in."""

from metarun.train.queue_runner_impl import QueueRunner, add_queue_runner, start_queue_runners

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
