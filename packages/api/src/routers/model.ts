import { router } from "../trpc/init.ts";

export const modelRouter = router({});
