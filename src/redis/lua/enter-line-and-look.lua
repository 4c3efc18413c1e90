--[[
  Puts a call in the waiting line (keeping its place if already in it), then looks whether any of
  the agents it could take holds no claim, in one round trip and in that order.

  KEYS[1]     the waiting line (a sorted set)
  KEYS[2..n]  the claim keys of the agents the call could take
  ARGV[1]     arrival, in milliseconds (the score)
  ARGV[2]     the call id

  Returns { callers ahead of it, 1 if one of those agents is unclaimed else 0 }.
]]
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
local ahead = redis.call('ZRANK', KEYS[1], ARGV[2])
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    return { ahead, 1 }
  end
end
return { ahead, 0 }
