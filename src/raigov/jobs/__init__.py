"""Scheduled checks (`raigov jobs run`): the clocks of governance (practices, evidence, waivers,
face-recognition re-tests, reviews, the annual data call) and the once-only e-mail outbox."""
